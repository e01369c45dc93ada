import type { Request as AutocannonRequest } from 'autocannon';
import { streamScenarios, type LoadedConfig, type ResolvedTarget } from '../config/load.ts';
import { planIteration, streamPath } from '../load/plan.ts';
import { routeOn, streamHeaders } from '../targets/target.ts';

/** Distinct requests a raw run cycles through per connection (the first iterations of the plan). */
export const RAW_REQUESTS = 64;

/** What autocannon needs to hit one target: the origin, and the requests every connection cycles through. */
export interface RawTargetPlan {
  name: string;
  role: 'baseline' | 'candidate';
  url: string;
  requests: AutocannonRequest[];
}

/**
 * The requests of a raw-throughput run, the same for both targets: the first RAW_REQUESTS
 * iterations of the config's plan (scenarios and prompts taking turns, bodies rendered as `parity
 * run` renders them), with each target's own route paths and headers. autocannon builds each
 * request's bytes once and sends them again and again, which is what makes it fast; the price is
 * that the request id is the same on every send of a request (`<runId>-raw-<i>`).
 */
export function rawPlan(loaded: LoadedConfig, runId: string): [RawTargetPlan, RawTargetPlan] {
  const n = Math.min(RAW_REQUESTS, Math.max(1, streamScenarios(loaded).reduce((a, s) => a + s.prompts.length, 0)));
  const plans = Array.from({ length: n }, (_, i) => planIteration(streamScenarios(loaded), i, `${runId}-raw`));
  const forTarget = (t: ResolvedTarget): RawTargetPlan => ({
    name: t.name,
    role: t.role,
    url: new URL(t.baseUrl).origin,
    requests: plans.map((p) => {
      const { method, path } = routeOn(t, p.scenario.route);
      const headers = streamHeaders(t, p.headers ?? p.scenario.headers, loaded.config.requestIdHeader, p.requestId);
      return { method: method as AutocannonRequest['method'], path: streamPath(path, p), headers, ...(p.body === undefined ? {} : { body: p.body }) };
    }),
  });
  return [forTarget(loaded.baseline), forTarget(loaded.candidate)];
}
