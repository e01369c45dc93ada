import type { RunResult } from '../run/result.ts';

/**
 * A run whose baseline and candidate are one backend compared with itself: both targets send the
 * same requests (the same base URL, the same route map, the same headers) and nothing else tells
 * them apart. Every comparison then comes out equal and every gate passes, so a candidate URL that
 * fell back to the baseline's (`${NODE_URL:-http://127.0.0.1:8000}` with NODE_URL unset, a
 * copy-paste of the baseline's block) promoted a backend that was never measured.
 *
 * Targets on one host that differ by route (a gateway routing /v1 and /v2) or by a header (a
 * feature flag sent as `x-use-node: true`) are two backends and are not flagged. Reads run.json
 * only (`targets` for the resolved base URLs, the `config` echo for routes and headers as written).
 */
export function sameBackend(run: Pick<RunResult, 'targets' | 'config'>): string | null {
  const baseline = run.targets.find((t) => t.role === 'baseline');
  const candidate = run.targets.find((t) => t.role === 'candidate');
  if (!baseline || !candidate || normalUrl(baseline.baseUrl) !== normalUrl(candidate.baseUrl)) return null;
  const echoed = (run.config as { targets?: unknown } | null | undefined)?.targets;
  const echo = (name: string) => (Array.isArray(echoed) ? (echoed as { name?: unknown }[]).find((t) => t?.name === name) : undefined) as Record<string, unknown> | undefined;
  const b = echo(baseline.name);
  const c = echo(candidate.name);
  // Without the echo there is no telling whether routes or headers differ: not flagged.
  if (!b || !c) return null;
  for (const field of ['routes', 'headers', 'query'] as const) {
    if (canonical(b[field] ?? null) !== canonical(c[field] ?? null)) return null;
  }
  return (
    `baseline "${baseline.name}" and candidate "${candidate.name}" are the same backend (${baseline.baseUrl}${sameText(baseline.baseUrl, candidate.baseUrl) ? '' : ` and ${candidate.baseUrl}, one loopback address`}, the same routes and headers): ` +
    'the run compared a backend with itself, so its gates say nothing about the candidate; point the candidate at the new backend'
  );
}

/**
 * This machine's loopback names, as the URL parser writes them (it lower-cases, writes `127.1` as
 * `127.0.0.1` and `[0:0:0:0:0:0:0:1]` as `[::1]`): `localhost:8000` and `127.0.0.1:8000` are one
 * listener. No other name is resolved: two names of one host behind DNS stay two backends.
 */
const LOOPBACK = new Set(['localhost', 'localhost.', '127.0.0.1', '[::1]']);

function normalUrl(u: string): string {
  try {
    const url = new URL(u);
    const host = LOOPBACK.has(url.hostname) ? `loopback:${url.port}` : url.host;
    return `${url.protocol}//${host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return u;
  }
}

/** The same URL but for case and a trailing slash: only loopback names told apart need saying. */
function sameText(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\/+$/, '') === b.toLowerCase().replace(/\/+$/, '');
}

/** JSON with object keys sorted, so the same map written in another order compares equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
