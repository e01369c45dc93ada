import type { ShadowConfig } from '../../config/shadow-schema.ts';
import { buildCopy } from '../shadow/copy.ts';
import type { CapturedRequest } from './capture.ts';

/** Methods that change state: replayed only with --allow-writes (a replay must not write twice into production-like stores). */
export const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface ReplayFilters {
  /** Patterns: `GET`, `/api/*`, `POST /chat*`, or a capture's route name; a request kept must match one (none: all). */
  include: string[];
  exclude: string[];
  allowWrites: boolean;
  /** Epoch ms window of recorded times, [from, to). */
  from?: number | undefined;
  to?: number | undefined;
  /** Header names never replayed (lower-case), on top of hop-by-hop ones. */
  dropHeaders: string[];
  /** Path rewrites applied in order: a captured prefix mapped onto the targets' routes. */
  rewrites: { from: string; to: string }[];
  /** The config's `shadow` header drops and rewrites (session ids, tenant prefixes), applied to every replayed request as shadow applies them to a mirrored copy. */
  copy?: Pick<ShadowConfig, 'dropHeaders' | 'allowHeaders' | 'rewrite'> | undefined;
}

export type FilterReason = 'write' | 'filtered' | 'window';

interface Pattern {
  method?: string;
  path?: RegExp;
  route?: string;
}

const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** `GET`, `/path*`, `GET /path*`, or a route name (anything else). */
export function compilePattern(p: string): Pattern {
  const [a, b] = p.trim().split(/\s+/, 2);
  if (b !== undefined) return { method: a!.toUpperCase(), path: glob(b) };
  if (/^[A-Z]+$/.test(a!)) return { method: a };
  if (a!.startsWith('/')) return { path: glob(a!) };
  return { route: a };
}

function matches(pat: Pattern, r: CapturedRequest, path: string): boolean {
  if (pat.route !== undefined) return r.route === pat.route;
  return (pat.method === undefined || pat.method === r.method.toUpperCase()) && (pat.path === undefined || pat.path.test(path));
}

/** Decides, for each captured request, whether it is replayed (undefined) or why not. */
export function compileFilters(f: ReplayFilters): (r: CapturedRequest) => FilterReason | undefined {
  const include = f.include.map(compilePattern);
  const exclude = f.exclude.map(compilePattern);
  return (r) => {
    if ((f.from !== undefined && r.t < f.from) || (f.to !== undefined && r.t >= f.to)) return 'window';
    const q = r.path.indexOf('?');
    const path = q === -1 ? r.path : r.path.slice(0, q);
    if (include.length && !include.some((p) => matches(p, r, path))) return 'filtered';
    if (exclude.some((p) => matches(p, r, path))) return 'filtered';
    // Any case: a server may take a captured `post` as POST, and a replay must not write twice.
    if (WRITE_METHODS.has(r.method.toUpperCase()) && !f.allowWrites) return 'write';
    return undefined;
  };
}

/** Connection-level headers a replay never copies (the targets' own connection decides them; `expect: 100-continue` is the client's handshake, which undici refuses set by hand). */
const NEVER = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'accept-encoding', 'expect']);

/** The request as replayed: path rewritten, dropped headers removed. */
export function rewriteRequest(r: CapturedRequest, f: Pick<ReplayFilters, 'dropHeaders' | 'rewrites'>): { path: string; headers: Record<string, string> } {
  let path = r.path;
  for (const rw of f.rewrites) {
    if (path.startsWith(rw.from)) {
      path = rw.to + path.slice(rw.from.length);
      break;
    }
  }
  const headers: Record<string, string> = {};
  const drop = new Set(f.dropHeaders.map((h) => h.toLowerCase()));
  for (const [k, v] of Object.entries(r.headers)) if (!NEVER.has(k) && !drop.has(k)) headers[k] = v;
  return { path, headers };
}

/** The endpoint a request is summarised under: its route name, or METHOD and path without query. */
export function endpointOf(r: CapturedRequest, path: string): string {
  if (r.route) return r.route;
  const q = path.indexOf('?');
  return `${r.method} ${q === -1 ? path : path.slice(0, q)}`;
}

/**
 * The request as it goes out to both targets: rewritten, headers dropped, then the config's shadow
 * drops and rewrites (session ids, tenant prefixes) as a mirrored copy gets them. A body that is
 * bytes (not UTF-8) holds no JSON for a body rewrite: it goes out as captured.
 */
export function outgoing(r: CapturedRequest, f: Pick<ReplayFilters, 'dropHeaders' | 'rewrites' | 'copy'>): { path: string; headers: Record<string, string>; body: string | Buffer | undefined; rewriteMissed: number } {
  const { path, headers } = rewriteRequest(r, f);
  if (!f.copy) return { path, headers, body: r.body, rewriteMissed: 0 };
  if (typeof r.body !== 'string' && r.body !== undefined) {
    const bodyRules = r.body.length ? f.copy.rewrite.filter((w) => w.body !== undefined).length : 0;
    return { path, headers: buildCopy(headers, undefined, f.copy).headers, body: r.body, rewriteMissed: bodyRules };
  }
  const copied = buildCopy(headers, r.body, f.copy);
  return { path, headers: copied.headers, body: copied.body, rewriteMissed: copied.rewriteMissed };
}
