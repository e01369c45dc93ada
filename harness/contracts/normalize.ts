import type { Difference } from '../run/result.ts';
import { diffJson } from './diff.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../json/depth.ts';

export { MAX_JSON_DEPTH };
import type { CompiledRules } from './rules.ts';

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
  for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  let body: unknown;
  let json = false;
  let tooDeep = false;
  const asText = () => (raw.bodyText.length > 2000 ? `${raw.bodyText.slice(0, 2000)}…` : raw.bodyText);
  if (raw.bodyText.trim() !== '') {
    try {
      body = JSON.parse(raw.bodyText);
      json = true;
    } catch {
      body = asText();
    }
    // The diff, assertions and reports walk bodies recursively: a pathologically deep one is text.
    if (json && jsonDepthExceeds(body)) {
      body = asText();
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
}

/** Differences between a baseline and a candidate response (or two baseline responses). */
export function compareResponses(a: Observed, b: Observed, opts: CompareOptions): Difference[] {
  const out: Difference[] = [];
  if (a.status !== b.status) out.push({ pointer: '', kind: 'status', baseline: a.status, candidate: b.status });
  for (const h of opts.headers) {
    const va = headerValue(a, h);
    const vb = headerValue(b, h);
    if (va !== vb) out.push({ pointer: `/${h.toLowerCase()}`, kind: 'header', baseline: va ?? null, candidate: vb ?? null });
  }
  if (!opts.body) return out;
  if (a.body === undefined && b.body === undefined) return out;
  if (a.body === undefined) out.push({ pointer: '', kind: 'extra', baseline: undefined, candidate: b.body });
  else if (b.body === undefined) out.push({ pointer: '', kind: 'missing', baseline: a.body, candidate: undefined });
  else if (a.json !== b.json) out.push({ pointer: '', kind: 'type', baseline: describeBody(a), candidate: describeBody(b) });
  else diffJson(a.body, b.body, opts.rules, [], out);
  return out;
}

/** A body for a report: JSON as is, text marked as not JSON. */
export function describeBody(o: Observed): unknown {
  return o.json ? o.body : { notJson: o.body, contentType: o.headers['content-type'] ?? null };
}
