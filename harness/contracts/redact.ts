import { Scrubber } from '../secrets/scrubber.ts';

/**
 * What a contract report may show of a request or response: credentials replaced by
 * "[redacted]" in headers and in JSON bodies, and a curl command that reproduces the request.
 */
/**
 * Narrower than harness/secrets/scrubber.ts's SENSITIVE_HEADER (which adds key, session, credential,
 * auth): this one picks the header values a contract artifact shows as `[redacted]` and a replay
 * curl line reads from a shell variable, a documented list. Widened, ids a diff shows would be lost
 * (`x-auth-request-id`). A shadow capture, which holds live users' requests, redacts this list and
 * every name whose words read as a credential's (redactCapturedHeaders, sources/shadow/server.ts);
 * the broad list decides what is scrubbed as a secret (error messages, reports).
 */
export const SENSITIVE_HEADER = /authorization|cookie|token|secret|api[-_]?key|password/i;
const SENSITIVE_FIELD = /password|passwd|secret|api[-_]?key|authorization|cookie|credential|(^|[_-])token$/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, SENSITIVE_HEADER.test(k) ? '[redacted]' : v]));
}

export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SENSITIVE_FIELD.test(k) && (typeof v === 'string' || typeof v === 'number') ? '[redacted]' : redactJson(v)]));
  }
  return value;
}

/** Whether the last segment of a JSON pointer names a credential. */
export function sensitivePointer(pointer: string): boolean {
  const last = pointer.slice(pointer.lastIndexOf('/') + 1);
  return SENSITIVE_FIELD.test(last);
}

/** A credential's value in a drift example: its type stays visible (a type drift still reads right), not its value. */
export function hide(v: unknown): unknown {
  if (v === undefined || v === null) return v;
  return typeof v === 'object' ? redactJson(v) : `[redacted ${typeof v}]`;
}

/** A difference as it may be shown: the values at a pointer that names a credential (`/token`, `/password`) hidden, their types kept. */
export function hideSensitive<T extends { pointer: string; baseline?: unknown; candidate?: unknown }>(d: T): T {
  return sensitivePointer(d.pointer) ? { ...d, baseline: hide(d.baseline), candidate: hide(d.candidate) } : d;
}

/** Through the one scrubber every writer uses (token parts, escaped forms, cut tails). */
export function scrub(text: string, secrets: readonly string[]): string {
  return new Scrubber(secrets).scrub(text);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ReproducibleRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export function curlCommand(req: ReproducibleRequest, secrets: readonly string[]): string {
  const parts = ['curl', '-sS', '-i', '-X', req.method, q(req.url)];
  for (const [k, v] of Object.entries(redactHeaders(req.headers))) parts.push('-H', q(`${k}: ${v}`));
  if (req.body !== undefined) parts.push('--data-raw', q(redactBody(req.body)));
  return scrub(parts.join(' '), secrets);
}

/** A request body as it may be shown: JSON with its credential fields "[redacted]"; any other text as sent. */
export function redactBody(body: string): string {
  try {
    return JSON.stringify(redactJson(JSON.parse(body)));
  } catch {
    return body;
  }
}
