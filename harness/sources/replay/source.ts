import type { LoadedConfig } from '../../config/load.ts';
import type { ResolvedFlowScenario } from '../../config/flow-scenarios.ts';
import { Load, type LoadConfig } from '../../config/schema.ts';
import type { ReplayComparer } from './compare.ts';
import type { ReplayFeed } from './feed.ts';
import type { PacingTally } from './fidelity.ts';
import { REPLAY_SCENARIO } from './pair.ts';

/** What a shard needs to drive a replay instead of the config's load model. */
export interface ReplaySource {
  feed: ReplayFeed;
  /** Paths replayed as SSE streams (besides requests accepting text/event-stream). */
  isStream: (path: string) => boolean;
  /** Starts allowed in flight at once. */
  maxInFlight: number;
  /** Share of request pairs diffed under the config's contract rules (0..1), and the comparer. */
  compare?: { share: number; comparer: ReplayComparer } | undefined;
  /** Each pair's dispatch lag against the recorded offsets (paced replays; not at --speed max). */
  pacing?: PacingTally | undefined;
}

/**
 * The config as a replay runs it: one scenario, "replay", whose pairs carry their endpoint
 * (per-endpoint summaries and gates), and the config's timeouts and maxInFlight (default 1000) on
 * an open schedule that the capture drives; no warm-up (every recorded request counts); no
 * contract flows.
 */
export function replayLoaded(loaded: LoadedConfig, maxInFlight?: number, endpoints: string[] = []): { loaded: LoadedConfig; maxInFlight: number } {
  const l = loaded.config.load as (LoadConfig & { maxInFlight?: number }) | undefined;
  const bound = maxInFlight ?? l?.maxInFlight ?? 1000;
  // The config's timeouts as it resolved them (milliseconds), not parsed again as config input.
  const load = { ...Load.parse({ model: 'constant-arrival-rate', rate: 1, duration: 1000, maxInFlight: bound, warmup: 0 }), ...(l ? { timeouts: l.timeouts } : {}) };
  const scenario: ResolvedFlowScenario = {
    type: 'request',
    name: REPLAY_SCENARIO,
    compare: 0,
    noise: false,
    flow: { name: REPLAY_SCENARIO, vars: {}, repeat: 1, noise: false, steps: [] },
    // The capture's endpoints, when read ahead for a policy: its route-scoped gates are checked against them.
    routes: endpoints,
  };
  // The config's contract flows are not run either: a replay sends what was captured and nothing
  // else (flows would add their own requests, writes among them, and their verdicts); its rules and
  // compared headers still apply to `--compare`.
  const contracts = loaded.contracts ? { contracts: { ...loaded.contracts, flows: [] } } : {};
  return { loaded: { ...loaded, ...contracts, config: { ...loaded.config, load }, scenarios: [scenario] }, maxInFlight: bound };
}

const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** `--stream /chat*` patterns as a test on the replayed path. */
export function streamPaths(patterns: string[]): (path: string) => boolean {
  const res = patterns.map(glob);
  return (p) => res.some((r) => r.test(p));
}
