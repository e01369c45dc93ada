import type { ConfigIssue } from '../errors.ts';

/**
 * What can go on the wire as written. A header, path or URL that undici refuses (or, worse, sends
 * differently to one side) fails that side's requests and looks like a bad candidate, so each is a
 * config error before any traffic, naming the field and the fix. Messages never echo a header
 * value: it may be a secret.
 */

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters are VCHAR, SP, HTAB and obs-text; never CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers parity (or undici) owns: set by hand they break framing or the connection pool. */
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);
/** undici sends a request path only when every character is in U+0021–U+00FF (no spaces, CR, LF, controls). */
const PATH = /^\/[\x21-\xff]*$/;

export function checkHeaderName(name: string, at: string, issues: ConfigIssue[]): void {
  if (!TOKEN.test(name)) {
    issues.push({ path: at, message: `header name ${JSON.stringify(truncateForMessage(name))} is not an HTTP token (RFC 9110: letters, digits and !#$%&'*+-.^_\`|~; no spaces, colons or control characters); fix the name` });
  } else if (RESERVED.has(name.toLowerCase())) {
    issues.push({ path: at, message: `header "${name}" is managed by the HTTP client (framing and connections); remove it` });
  }
}

/**
 * Names of one header set that differ only in case (`X-Api-Key` and `x-api-key`) are one header:
 * keyed apart, one value replaced the other silently, or both went out as two header lines (the
 * server then reads the first, or both joined). Each later spelling is an issue naming the first.
 */
export function checkHeaderCase(names: readonly string[], at: string, issues: ConfigIssue[]): void {
  const seen = new Map<string, string>();
  for (const n of names) {
    const first = seen.get(n.toLowerCase());
    if (first === undefined) seen.set(n.toLowerCase(), n);
    else issues.push({ path: `${at}.${n}`, message: `header "${truncateForMessage(n)}" is also given as "${truncateForMessage(first)}" (header names are case-insensitive: it is one header, and one of the two values would not be sent as written); keep one` });
  }
}

/** A header named as `requestIdHeader`: parity sets it to each pair's request id, so a value written in the config would never be sent. */
export function checkRequestIdHeader(names: readonly string[], requestIdHeader: string, at: string, issues: ConfigIssue[]): void {
  for (const n of names) {
    if (n.toLowerCase() === requestIdHeader.toLowerCase()) issues.push({ path: `${at}.${n}`, message: `header "${truncateForMessage(n)}" is the requestIdHeader: parity sets it to each pair's request id, so this value would never be sent; remove it, or set requestIdHeader to another name` });
  }
}

/** `value` is the value as sent (after `${ENV}` substitution), `fromEnv` whether the environment supplied part of it. */
export function checkHeaderValue(value: string, at: string, issues: ConfigIssue[], fromEnv = false): void {
  if (FIELD_VALUE.test(value)) return;
  const bad = [...value].find((c) => !FIELD_VALUE.test(c))!;
  const what = bad === '\r' || bad === '\n' ? 'a CR or LF (line break)' : bad.charCodeAt(0) > 0xff ? `a character beyond Latin-1 (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})` : `the control character U+${bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  issues.push({ path: at, message: `header value contains ${what}${fromEnv ? ' (after ${ENV} substitution: check the variable)' : ''}, which cannot be sent (RFC 9110); remove it, or percent-encode non-Latin-1 text` });
}

export function checkPath(p: string, at: string, issues: ConfigIssue[]): void {
  if (PATH.test(p)) return;
  const why = !p.startsWith('/') ? 'does not start with "/"' : /[\r\n]/.test(p) ? 'contains a line break' : /\s/.test(p) ? 'contains a space' : 'contains a control character or a character beyond U+00FF';
  issues.push({ path: at, message: `path ${JSON.stringify(truncateForMessage(p))} ${why}, which cannot be sent; percent-encode it (a space is %20)` });
}

/**
 * A path written in a config (routes, health routes): as checkPath, and ASCII. undici writes a path
 * one byte per character, so `/café` went out as the single Latin-1 byte 0xE9, not the UTF-8 text
 * the file holds (node:http answers 400 to it; others read another path), where a base URL's `café`
 * is percent-encoded as UTF-8 by the URL parser. The fix names the encoded path.
 */
export function checkConfigPath(p: string, at: string, issues: ConfigIssue[], templated = false): void {
  // A route's `{{ placeholder }}` is filled (percent-encoded) when sent: the spaces inside its braces never go out.
  if (templated) p = p.replace(/\{\{\s*([^{}\s]*)\s*\}\}/g, '{{$1}}');
  const before = issues.length;
  checkPath(p, at, issues);
  if (issues.length > before || !/[\x80-\xff]/.test(p)) return;
  const c = /[\x80-\xff]/.exec(p)![0];
  issues.push({ path: at, message: `path ${JSON.stringify(truncateForMessage(p))} contains the non-ASCII character "${c}", which would go out as the Latin-1 byte 0x${c.charCodeAt(0).toString(16).toUpperCase()}, not as the UTF-8 text written; percent-encode it: "${truncateForMessage(p.replace(/[\x80-\xff]/g, (x) => encodeURIComponent(x)))}"` });
}

/** The base URL's scheme and parts: http(s) only, nothing that would be dropped on the way. */
export function checkBaseUrl(url: URL, shown: string, at: string, issues: ConfigIssue[]): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const none = !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(shown);
    issues.push({ path: at, message: none ? `"${truncateForMessage(shown)}" has no http:// or https:// scheme; write e.g. "http://${truncateForMessage(shown)}"` : `scheme "${url.protocol.slice(0, -1)}" is not supported; parity sends HTTP: use http:// or https://` });
    return;
  }
  if (url.port === '0') issues.push({ path: at, message: 'port 0 is no destination (nothing can connect to it); give the port the backend listens on' });
  if (url.search || url.hash) issues.push({ path: at, message: 'a base URL with a query (?…) or fragment (#…) would lose it: requests go to the base URL path + the route path; move query parameters into the route path' });
  checkPath(url.pathname, at, issues);
}

/** Long or multi-line input shown in a message: the first 80 characters, and how long it was. */
export function truncateForMessage(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s;
}
