import type { ResolvedTarget } from '../../config/resolved.ts';
import type { ShadowConfig } from '../../config/shadow-schema.ts';
import { routeOn } from '../../targets/target.ts';

/** What shadow does with one live request. */
export type Decision =
  | { kind: 'compare'; route: string; candidatePath: string; baselinePath: string; probe: 'auto' | 'stream' | 'request'; endpoint: string }
  /** A known route whose method is not GET/HEAD and whose copy was not opted in: never copied. */
  | { kind: 'unsafe'; route: string }
  /** No logical route (or one not compared): passed through (inline), never copied. */
  | { kind: 'unmatched' };

interface CompiledRoute {
  route: string;
  method: string;
  pattern: RegExp;
  params: string[];
  candidate: { method: string; path: string };
  baselinePath: string;
  safe: boolean;
  probe: 'auto' | 'stream' | 'request';
}

const SAFE = new Set(['GET', 'HEAD']);

/** `/api/lots/:code` or `/api/lots/{code}` → a regex with one group per parameter. */
function compilePath(path: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      const m = /^:([A-Za-z_]\w*)$/.exec(seg) ?? /^\{([A-Za-z_]\w*)\}$/.exec(seg);
      if (m) {
        params.push(m[1]!);
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), params };
}

function fill(path: string, values: Record<string, string>): string {
  return path
    .split('/')
    .map((seg) => {
      const m = /^:([A-Za-z_]\w*)$/.exec(seg) ?? /^\{([A-Za-z_]\w*)\}$/.exec(seg);
      return m ? (values[m[1]!] ?? seg) : seg;
    })
    .join('/');
}

/**
 * Maps a live request (method, path as the baseline sees it) to a logical route, and says whether
 * its copy may go to the candidate: GET/HEAD routes by default, any other method only for routes
 * with `allowWrites: true`. Pure: the same request always gets the same decision.
 */
export function compileMatcher(baseline: ResolvedTarget, candidate: ResolvedTarget, shadow: ShadowConfig): (method: string, path: string) => Decision {
  const listed = shadow.routes;
  const names = listed ? Object.keys(listed) : Object.keys(baseline.routes).filter((r) => Object.hasOwn(candidate.routes, r));
  const routes: CompiledRoute[] = names.map((route) => {
    const b = routeOn(baseline, route);
    const { pattern, params } = compilePath(b.path);
    return { route, method: b.method, pattern, params, candidate: routeOn(candidate, route), baselinePath: b.path, safe: SAFE.has(b.method) || Boolean(listed?.[route]?.allowWrites), probe: listed?.[route]?.kind ?? 'auto' };
  });
  return (method, rawPath) => {
    const q = rawPath.indexOf('?');
    const path = q < 0 ? rawPath : rawPath.slice(0, q);
    const query = q < 0 ? '' : rawPath.slice(q);
    for (const r of routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      if (!r.safe) return { kind: 'unsafe', route: r.route };
      const values = Object.fromEntries(r.params.map((p, i) => [p, m[i + 1]!]));
      return { kind: 'compare', route: r.route, baselinePath: rawPath, candidatePath: fill(r.candidate.path, values) + query, probe: r.probe, endpoint: `${r.method} ${r.baselinePath}` };
    }
    return { kind: 'unmatched' };
  };
}
