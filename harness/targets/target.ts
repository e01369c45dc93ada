import { getOwn } from '../json/own.ts';
import { Pool, type buildConnector } from 'undici';
import type { ResolvedTarget } from '../config/load.ts';
import type { TimeoutsConfig } from '../config/schema.ts';
import { compileProfile, type EventClassifier } from '../probes/stream-profile.ts';

/** A target at run time: its keep-alive pool, its compiled stream profile, and URL building. */
export interface LiveTarget {
  readonly config: ResolvedTarget;
  readonly pool: Pool;
  readonly classify: EventClassifier;
  /** Path on this target for a logical route (base URL path prefix included). */
  pathFor(route: string): { method: string; path: string };
  close(): Promise<void>;
}

/** Method and path on a target for a logical route (the base URL's path prefix included). */
export function routeOn(config: ResolvedTarget, route: string): { method: string; path: string } {
  const r = getOwn(config.routes, route);
  if (!r) throw new Error(`target "${config.name}" has no route "${route}"`);
  return { method: r.method, path: new URL(config.baseUrl).pathname.replace(/\/+$/, '') + r.path };
}

/**
 * The headers of a stream request to a target for a scenario: the target's, the scenario's (both
 * keyed in lower case, so the scenario's replaces the target's), JSON in and SSE out unless the
 * config gave its own content-type or accept (sent as written, as a request scenario's), the request id.
 */
export function streamHeaders(config: ResolvedTarget, scenarioHeaders: Record<string, string> | undefined, requestIdHeader: string, requestId: string): Record<string, string> {
  const h: Record<string, string> = { ...config.headers, ...scenarioHeaders };
  h['content-type'] ??= 'application/json';
  h.accept ??= 'text/event-stream';
  h[requestIdHeader] = requestId;
  return h;
}

/** `connector`: the pool's connector in place of undici's own (a WarmConnector opens connections ahead). */
export function openTarget(config: ResolvedTarget, timeouts: TimeoutsConfig, connector?: buildConnector.connector): LiveTarget {
  const url = new URL(config.baseUrl);
  const pool = new Pool(url.origin, {
    connections: config.connections ?? null,
    connect: connector ?? { timeout: timeouts.connect },
    headersTimeout: timeouts.headers,
    // The probe enforces idle and total limits itself so it can tell `stalled` from `timeout`.
    bodyTimeout: 0,
    keepAliveTimeout: 10_000,
  });
  return {
    config,
    pool,
    classify: compileProfile(config.stream),
    pathFor: (route) => routeOn(config, route),
    async close() {
      await pool.destroy();
    },
  };
}
