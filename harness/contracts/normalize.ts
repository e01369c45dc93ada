import { setOwn } from '../json/own.ts';
import { difference, diffJson, type DiffSides, type GroupedDifference } from './diff.ts';
import { mapEchoString } from './echo.ts';
import { normalizeValue } from './normalizers.ts';
import { satisfiesFormat, type CompiledRules, type PointerRules } from './rules.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../json/depth.ts';

export { MAX_JSON_DEPTH };

/**
 * One response as the contract diff sees it: status, the compared headers (lower-cased names;
 * content-type reduced to its media type), and the body parsed as JSON when it parses. A body that
 * is not JSON is kept as its text, so a JSON-vs-HTML answer is a reported `type` difference.
 */
export interface Observed {
  /** null when no response arrived (connection refused, timeout). */
  status: number | null;
  headers: Record<string, string>;
  /** Parsed JSON; the raw text when it does not parse; undefined for an empty body. */
  body: unknown;
  json: boolean;
  /** The body parsed as JSON but nests deeper than MAX_JSON_DEPTH: kept (and compared) as text. */
  tooDeep?: true;
  /** Streamed content text (stream steps). */
  text?: string;
  /** Transport failure or an incomplete stream. */
  error?: { code: string; message: string };
  durationMs: number;
}

export interface RawResponse {
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
  text?: string;
  error?: { code: string; message: string };
  durationMs: number;
}

export function normalizeResponse(raw: RawResponse): Observed {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined) setOwn(headers, k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v);
  let body: unknown;
  let json = false;
  let tooDeep = false;
  if (raw.bodyText.trim() !== '') {
    if (!mayBeJson(raw.bodyText)) body = asText(raw.bodyText);
    else {
      try {
        body = JSON.parse(raw.bodyText);
        json = true;
      } catch {
        body = asText(raw.bodyText);
      }
    }
    // The diff, assertions and reports walk bodies recursively: a pathologically deep one is text.
    if (json && jsonDepthExceeds(body)) {
      body = asText(raw.bodyText);
      json = false;
      tooDeep = true;
    }
  }
  const o: Observed = { status: raw.status, headers, body, json, durationMs: raw.durationMs };
  if (tooDeep) o.tooDeep = true;
  if (raw.text !== undefined) o.text = raw.text;
  if (raw.error) o.error = raw.error;
  return o;
}

/** A body kept as text (cut at 2,000 characters). A module function: a closure per call was a tenth of this function's cost. */
function asText(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * Whether JSON.parse could accept the text, judged on its first character after JSON's own
 * whitespace: a text body (HTML, SSE, plain text) is known not to be JSON without the exception
 * JSON.parse would throw (an exception per compared response was 3% of the request path's CPU).
 */
function mayBeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    // { [ " - 0-9 t f n
    return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
  }
  return false;
}

export function headerValue(o: Observed, name: string): string | undefined {
  const v = o.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return name.toLowerCase() === 'content-type' ? v.split(';')[0]!.trim().toLowerCase() : v.trim();
}

export interface CompareOptions {
  headers: readonly string[];
  rules: CompiledRules;
  /** Stream steps compare status and headers only: streamed text is judged by assertions. */
  body: boolean;
  /** Each side's base URL and generated values (for `origin` and echo mapping). */
  sides?: DiffSides;
}

/**
 * Differences between a baseline and a candidate response (or two baseline responses). Headers
 * compared: the listed ones and every header a rule names; a header on one side only is
 * `header_missing` / `header_extra`, never hidden by what its value does.
 */
export function compareResponses(a: Observed, b: Observed, opts: CompareOptions): GroupedDifference[] {
  const out: GroupedDifference[] = [];
  const sides = opts.sides ?? { a: {}, b: {} };
  if (a.status !== b.status) out.push(difference(opts.rules, [], [], 'status', a.status, b.status));
  // Same status, but one side's response failed after it (a stream reset or cut before its end, a
  // body that never finished): the outcome differs, which a stream step's status and headers alone
  // would not show.
  else if (a.status !== null && Boolean(a.error) !== Boolean(b.error)) out.push(difference(opts.rules, [], [], 'status', outcomeOf(a), outcomeOf(b)));
  const hr = opts.rules.headers;
  for (const h of new Set([...opts.headers, ...opts.rules.headerNames].map((x) => x.toLowerCase()))) {
    const at = [h];
    if (hr.ignored(at)) continue;
    const va = headerValue(a, h);
    const vb = headerValue(b, h);
    if (va === vb) continue;
    if (vb === undefined) out.push(difference(hr, at, at, 'header_missing', va, null));
    else if (va === undefined) out.push(difference(hr, at, at, 'header_extra', null, vb));
    else if (!headerValuesEqual(va, vb, at, hr, sides)) out.push(difference(hr, at, at, 'header', va, vb));
  }
  if (!opts.body) return out;
  if (a.body === undefined && b.body === undefined) return out;
  if (a.body === undefined) out.push(difference(opts.rules, [], [], 'extra', undefined, b.body));
  else if (b.body === undefined) out.push(difference(opts.rules, [], [], 'missing', a.body, undefined));
  else if (a.json !== b.json) out.push(difference(opts.rules, [], [], 'type', describeBody(a), describeBody(b)));
  else diffJson(a.body, b.body, opts.rules, [], out, sides);
  return out;
}

/** A status with the failure that followed it, if any: `200 (reset)`. */
function outcomeOf(o: Observed): number | string | null {
  return o.error ? `${o.status} (${o.error.code})` : o.status;
}

function headerValuesEqual(va: string, vb: string, at: string[], rules: PointerRules, sides: DiffSides): boolean {
  const norm = rules.normalizers(at);
  const na = normalizeValue(va, norm, sides.a) as string;
  const nb = normalizeValue(vb, norm, sides.b) as string;
  const format = rules.format(at);
  if (format && format !== 'type') {
    const fa = satisfiesFormat(format, na);
    if (fa && satisfiesFormat(format, nb)) return true;
  } else if (format === 'type') return true;
  return na === nb || mapEchoString(na, sides.a) === mapEchoString(nb, sides.b);
}

/** A body for a report: JSON as is, text marked as not JSON. */
export function describeBody(o: Observed): unknown {
  return o.json ? o.body : { notJson: o.body, contentType: o.headers['content-type'] ?? null };
}
