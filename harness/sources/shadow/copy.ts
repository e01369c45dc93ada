import type { IncomingHttpHeaders } from 'node:http';
import type { ShadowConfig } from '../../config/shadow-schema.ts';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the client's connection to parity owns: never forwarded. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/** The live request's headers as a plain record, hop-by-hop headers left out (what the baseline gets inline). */
export function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The copy of a live request: listed headers dropped (unless allowed), then the rewrites applied
 * (a prefix on a JSON body field or a header), so the candidate's stores never mix with real ones.
 * A body that is not JSON is copied as it is; a body rewrite on it is reported, not guessed. A body
 * that is not UTF-8 text comes as its bytes (a Buffer) and goes out as them.
 */
export function buildCopy<B extends string | Buffer | undefined>(
  headers: Record<string, string>,
  body: B,
  shadow: Pick<ShadowConfig, 'dropHeaders' | 'allowHeaders' | 'rewrite'>,
): { headers: Record<string, string>; body: B | string; rewriteMissed: number } {
  const allow = new Set(shadow.allowHeaders.map((h) => h.toLowerCase()));
  const drop = new Set(shadow.dropHeaders.map((h) => h.toLowerCase()).filter((h) => !allow.has(h)));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!drop.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  let rewriteMissed = 0;
  const bodyRules = shadow.rewrite.filter((r) => r.body !== undefined);
  for (const r of shadow.rewrite) if (r.header !== undefined && out[r.header.toLowerCase()] !== undefined) out[r.header.toLowerCase()] = r.prefix + out[r.header.toLowerCase()];
  if (!bodyRules.length || body === undefined || body === '') return { headers: out, body, rewriteMissed };
  if (typeof body !== 'string') return { headers: out, body, rewriteMissed: bodyRules.length };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { headers: out, body, rewriteMissed: bodyRules.length };
  }
  for (const r of bodyRules) if (!prefixAt(doc, r.body!, r.prefix)) rewriteMissed++;
  return { headers: out, body: JSON.stringify(doc), rewriteMissed };
}

/** Prefixes the string (or number) at a JSON pointer in place; false when there is none. */
function prefixAt(doc: unknown, pointer: string, prefix: string): boolean {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = doc as Record<string, unknown> | unknown[] | null;
  for (let i = 0; i < parts.length - 1; i++) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<string, unknown>)[parts[i]!] as typeof node;
  }
  const last = parts[parts.length - 1]!;
  if (node === null || typeof node !== 'object' || !Object.hasOwn(node, last)) return false;
  const v = (node as Record<string, unknown>)[last];
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  (node as Record<string, unknown>)[last] = prefix + String(v);
  return true;
}
