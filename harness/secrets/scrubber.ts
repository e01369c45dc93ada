import { mapStrings } from '../json/map-strings.ts';

/**
 * The one place secrets are taken out of what parity writes: run.json, samples (and the spool they
 * come from), warm-up samples, reports, the audit log, hook payloads and variables, webhook bodies,
 * contract artifacts and the terminal. Every writer scrubs through a `Scrubber`.
 *
 * A secret is a value substituted from the environment into a header or a hook, a literal value of
 * a sensitive header, or the userinfo of a base URL. Each is scrubbed in every form a backend or a
 * serializer may echo it: as is, its token parts (the TOKEN of `Bearer TOKEN`), JSON-escaped,
 * percent-encoded and base64 (`user:pass` of Basic auth); and a truncated message that ends in the
 * first characters of a secret (an error body cut at 200 characters) loses that fragment too.
 */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not scrubbed (replacing "1" everywhere would hide the data, not the secret). */
export const MIN_SECRET = 4;

/** Auth scheme words are not secret: `Bearer` stays, the token after it goes. */
const SCHEMES = /^(bearer|basic|token|digest|negotiate|apikey|api-key|key|hmac|aws4-hmac-sha256)$/i;

/** The parts of a credential value worth scrubbing on their own: words of a header value, minus the scheme. */
export function tokenParts(value: string): string[] {
  return value.split(/[\s,;]+/).filter((p) => p.length >= MIN_SECRET && !SCHEMES.test(p));
}

function forms(secret: string): string[] {
  const out = new Set([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  out.add(json);
  out.add(encodeURIComponent(secret));
  return [...out];
}

export class Scrubber {
  private readonly needles: string[];
  /** Empty scrubber: passes text through. */
  static readonly none = new Scrubber([]);

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      if (typeof s !== 'string' || s.length < MIN_SECRET) continue;
      for (const f of forms(s)) all.add(f);
      for (const p of tokenParts(s)) for (const f of forms(p)) all.add(f);
    }
    // Longest first: `Bearer abcd1234` goes whole before its part `abcd1234` is looked for.
    this.needles = [...all].filter((s) => s.length >= MIN_SECRET).sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  /** A new scrubber knowing these secrets too. */
  with(secrets: Iterable<string>): Scrubber {
    return new Scrubber([...this.needles, ...secrets]);
  }

  scrub(text: string): string {
    if (this.needles.length === 0 || !text) return text;
    let out = text;
    for (const s of this.needles) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return this.scrubCutTail(out);
  }

  /**
   * Every string (keys included) in a JSON-like value scrubbed, in a copy; numbers and the shape
   * are kept (scrubbing the JSON text would turn a secret "5000" inside a number into invalid
   * JSON). Iterative, so any depth is fine.
   */
  scrubDeep<T>(value: T): T {
    if (this.needles.length === 0) return value;
    return mapStrings(value, (x) => this.scrub(x));
  }

  /** A message cut short ("… Bearer abcd…", the probe's 200-character cut) must not keep a secret's first characters. */
  private scrubCutTail(text: string): string {
    if (!text.endsWith('…')) return text;
    const body = text.slice(0, -1);
    for (const s of this.needles) {
      for (let k = Math.min(body.length, s.length - 1); k >= MIN_SECRET; k--) {
        if (body.endsWith(s.slice(0, k))) return `${body.slice(0, body.length - k)}${REDACTED}…`;
      }
    }
    return text;
  }
}

/** Secrets of the userinfo of a URL (`http://user:pass@host`): the raw and decoded forms and the Basic credential. */
export function userinfoSecrets(url: URL): string[] {
  if (!url.username && !url.password) return [];
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const pair = `${user}:${pass}`;
  return [url.username, url.password, user, pass, `${url.username}:${url.password}`, pair, Buffer.from(pair).toString('base64')].filter(Boolean);
}

/**
 * A URL's userinfo as written: up to the *last* `@` before its path, query or fragment. A password
 * may hold a raw `@` (`http://svc:p@ss@host`: the URL parser, as curl, ends the userinfo at the last
 * one); cut at the first, the rest of the password (`ss`) stayed in the config echo, the plan and a
 * webhook's display.
 */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#\\]*@/;

/** `http://user:pass@host/x` → `http://[redacted]@host/x` (a template or a value; text that is no URL is returned as is). */
export function redactUserinfo(url: string): string {
  return url.replace(USERINFO, `$1${REDACTED}@`);
}

/** `http://user:pass@host/x` → `http://host/x`, as shown beside a URL already sent without it. */
export function stripUserinfo(url: string): string {
  return url.replace(USERINFO, '$1');
}

/**
 * Header names whose values are credentials, literal or not: what counts as a secret (README
 * "Secrets"), so it errs broad (`key` takes `x-api-key` and `monkey` alike; `auth`, `author`).
 * harness/contracts/redact.ts keeps a narrower list on purpose: it decides which header values a
 * contract artifact shows as `[redacted]` and which a replay curl line reads from a shell variable,
 * documented as "authorization, cookie, token, secret, api-key or password"; widening it would
 * hide ids like `x-auth-request-id` that a diff shows. A shadow capture adds the word rule
 * (credentialWords). A value these lists keep is still scrubbed wherever it is a live credential
 * (requestCredentials).
 */
export const SENSITIVE_HEADER = /authorization|cookie|token|secret|key|password|session|credential|auth/i;

/**
 * Words of a query parameter's (or a captured header's) name that make its value a credential (`access_token`, `apiKey`,
 * `X-Amz-Security-Token`, `client_secret`, `user[password]`, `session_id`), matched as whole words
 * of the name (split at non-letters and camelCase): a query name is data far more often than a
 * header name, and matched anywhere, `?keyword=`, `?author=` and `?monkey=` were redacted from
 * captures and replayed as the placeholder, other requests than the users'.
 */
const CREDENTIAL_WORD = new Set(['token', 'accesstoken', 'authtoken', 'jwt', 'key', 'apikey', 'secret', 'password', 'passwd', 'pwd', 'auth', 'authorization', 'credential', 'credentials', 'session', 'sessionid', 'sid', 'cookie']);
/**
 * A URL's own credential names, beyond the words: a signature as the name's last word (`?sig=` of
 * an Azure SAS URL, `X-Amz-Signature`, `oauth_signature`; not `signature_version`) and `?code=`
 * alone (an OAuth callback's, an Azure Functions key; not `zip_code`).
 */
const URL_CREDENTIAL = /(^|[-_.])(sig|signature)$|^code$/i;

/**
 * Whether a query parameter's value is a credential, by its name (decoded: `access%5Ftoken`,
 * `user[password]`): one rule for a live request's query (a capture's redaction, its own
 * credentials) and a webhook URL's (urlSecrets, which also takes any token-like value).
 */
export function credentialParam(name: string): boolean {
  const n = decodeQueryPart(name);
  return URL_CREDENTIAL.test(n) || credentialWords(n);
}

/**
 * Whether a name reads as a credential's by its words (split at non-letters and camelCase):
 * `x-functions-key`, `X-Session-Id`, `x-auth-token`, `apiKey`, not `keyword` or `author`. The rule
 * for a live request's credentials, in its query (credentialParam) and its headers (a shadow
 * capture's, `redactCapturedHeaders` in sources/shadow/server.ts).
 */
export function credentialWords(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((w) => CREDENTIAL_WORD.has(w));
}

/** `[redacted]` as it goes in a URL's query. */
export const REDACTED_PARAM = encodeURIComponent(REDACTED);

/** A query name or value as a server reads it (`+` a space, percent-decoded); as written when it is no valid encoding. */
function decodeQueryPart(s: string): string {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The `name=value` fields of a path's query, each with where its value starts and ends. `&` and
 * `;` both separate (older servers and frameworks split on `;` too: a credential after one is
 * still one). The fragment (none in a request target; a HAR URL's) is left out.
 */
function queryFields(path: string): { name: string; start: number; end: number }[] {
  const q = path.indexOf('?');
  if (q < 0) return [];
  const hash = path.indexOf('#', q);
  const stop = hash < 0 ? path.length : hash;
  const out: { name: string; start: number; end: number }[] = [];
  let from = q + 1;
  while (from <= stop) {
    let to = from;
    while (to < stop && path[to] !== '&' && path[to] !== ';') to++;
    const eq = path.indexOf('=', from);
    if (eq > from && eq < to) out.push({ name: path.slice(from, eq), start: eq + 1, end: to });
    from = to + 1;
  }
  return out;
}

/**
 * A request path with the value of each credential query parameter (credentialParam) replaced by
 * `%5Bredacted%5D` (`[redacted]`, percent-encoded as a query needs it); every other byte as it was
 * (`/api/items?access_token=abc&page=2` → `/api/items?access_token=%5Bredacted%5D&page=2`). An
 * empty value stays empty. What a shadow capture writes of a live request's path.
 */
export function redactQuery(path: string): string {
  let out = '';
  let at = 0;
  for (const f of queryFields(path)) {
    if (f.end === f.start || !credentialParam(f.name)) continue;
    out += path.slice(at, f.start) + REDACTED_PARAM;
    at = f.end;
  }
  return at === 0 ? path : out + path.slice(at);
}

/**
 * The credentials in a request path's query (the values redactQuery replaces): as written and as
 * a server decodes them, the form a backend echoes (`a%2Bb` and `a+b`; `+` as a space too).
 */
export function queryCredentials(path: string): string[] {
  const out = new Set<string>();
  for (const f of queryFields(path)) {
    if (f.end === f.start || !credentialParam(f.name)) continue;
    const raw = path.slice(f.start, f.end);
    out.add(raw);
    out.add(decodeQueryPart(raw));
    try {
      out.add(decodeURIComponent(raw));
    } catch {
      // Not a valid encoding: the raw form is what a backend can echo.
    }
  }
  return [...out];
}

/**
 * The credentials a live request carries (shadow, replay): the values of its sensitive headers,
 * each cookie's value on its own (a backend echoes `abc123`, not `sid=abc123`) and, given its
 * path, the values of its credential query parameters (`?access_token=…`: a backend's 404 page
 * or an error quoting the URL echoes them).
 */
export function requestCredentials(headers: Readonly<Record<string, string | string[] | undefined>>, path?: string): string[] {
  const out: string[] = path === undefined ? [] : queryCredentials(path);
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || !SENSITIVE_HEADER.test(k)) continue;
    for (const value of Array.isArray(v) ? v : [v]) {
      out.push(value);
      if (/cookie/i.test(k)) for (const c of value.split(';')) out.push(c.slice(c.indexOf('=') + 1).trim());
    }
  }
  return out;
}

/** A sample's error message (which may quote a backend's error body) scrubbed in place. */
export function scrubError(sample: { error?: { code: string; message: string } | undefined }, scrubber: Scrubber): void {
  if (sample.error) sample.error = { code: sample.error.code, message: scrubber.scrub(sample.error.message) };
}

/**
 * A sample's error message scrubbed of the credentials its own request carried, which are no config
 * secret: a token a flow captured at login (`Bearer {{token}}`), a replayed or mirrored user's
 * Authorization, cookies and query credentials (`?access_token=…`, given the path: an error that
 * quotes the URL echoes them). Called by the probe that sent them, on an error only; the config's
 * secrets are the run's to scrub (every pair, before it is spooled).
 */
export function scrubOwnCredentials(sample: { error?: { code: string; message: string } | undefined }, headers: Readonly<Record<string, string | string[] | undefined>>, path?: string): void {
  if (!sample.error) return;
  const own = Scrubber.none.with(requestCredentials(headers, path));
  if (!own.empty) scrubError(sample, own);
}

/** A path segment or query value that reads as a generated credential: 16+ URL-safe characters with letters and digits. */
const tokenLike = (s: string) => s.length >= 16 && /^[A-Za-z0-9_\-.~+/=%]+$/.test(s) && /\d/.test(s) && /[A-Za-z]/.test(s);

/**
 * The parts of a URL that carry a credential by their look, not by a name the config gave them:
 * a webhook whose secret is its path (Slack's `/services/T…/B…/<token>`, Discord's
 * `/api/webhooks/<id>/<token>`) or a query value (`?sig=…`, `?token=…`). Each is scrubbed from
 * every output, as a header's credential is; the host and the rest of the path stay readable.
 */
export function urlSecrets(url: URL): string[] {
  const out: string[] = [];
  for (const seg of url.pathname.split('/')) if (tokenLike(seg)) out.push(seg);
  for (const [k, v] of url.searchParams) if ((credentialParam(k) || tokenLike(v)) && v.length >= MIN_SECRET) out.push(v, encodeURIComponent(v));
  return out;
}
