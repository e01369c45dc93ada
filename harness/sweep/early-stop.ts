import { failsSoFar } from '../gates/early.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import type { GatePair, GateSample } from '../gates/metrics.ts';
import type { RunResult } from '../run/result.ts';

/**
 * Cutting a sweep step short once both targets are clearly past their knee (k6's abortOnFail, as
 * `parity shadow` ends a window that already fails, with the same gates/early.ts): the step's
 * pairs so far are judged by the same `evaluatePolicy` that judges the whole step, target by
 * target, and the step stops when both already fail on evidence (an interval entirely beyond its
 * limit over at least `minSamples`; insufficiency never fails here, even under
 * `insufficient: fail`). So a cut is evidence that both targets fail at this rate, and a step
 * cut short is an incomplete run: it can fail, never pass. The checks run in a worker thread
 * (early-stop-watch.ts), off the thread that schedules the step's arrivals. Pure.
 */
export type Role = 'baseline' | 'candidate';

/** A target's SLO gates: the policy's absolute gates of severity fail (ratio and delta gates compare the targets; capacity reads the knees). */
export function sloPolicy(policy: LoadedPolicy): LoadedPolicy {
  return { ...policy, gates: policy.gates.filter((g) => g.metric.name !== 'capacity' && g.threshold.comparison === 'absolute' && g.severity === 'fail') };
}

/**
 * What a target judged alone is compared with: a stream that completed. The SLO gates are absolute
 * and read only the candidate side; the failed-requests guard compares with the baseline side, and
 * the other target there would excuse a target's failures whenever the other failed as often (both
 * shedding 40% with fast 503s "passed" every step, their latency SLOs read over the survivors).
 */
const COMPLETED: GateSample = { outcome: 'complete', status: 200, contentChars: 0, expectsCitations: false, citations: 0 };

/** The pairs as the gates see one target: its own samples on the candidate side (the baseline's turned round), a completed stream on the other. */
export function sideView(pairs: readonly GatePair[], role: Role): GatePair[] {
  return pairs.map((p) => ({ ...p, baseline: COMPLETED, candidate: role === 'candidate' ? p.candidate : p.baseline }));
}

/**
 * Why the step should stop now (both targets' SLO gates already fail on the pairs so far), or
 * null to go on. `policy` is the sweep's SLO policy; `run` the step's run.json as it stands.
 */
export function bothFailingSoFar(policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[]): string | null {
  const failing: string[] = [];
  for (const role of ['baseline', 'candidate'] as const) {
    const v = failsSoFar(policy, run, sideView(pairs, role));
    if (!v) return null;
    const gates = v.gates.filter((g) => g.severity === 'fail' && g.status === 'fail').map((g) => g.reason);
    failing.push(`${role}: ${gates.join('; ')}`);
  }
  return `stopped early after ${pairs.length} pairs: both targets already fail their SLO gates (${failing.join(' · ')})`;
}

/** `bothFailingSoFar` under the sweep's SLO gates, as the judge thread calls it by name (early-stop-watch.ts). */
export function bothFailing(policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[]): string | null {
  return bothFailingSoFar(sloPolicy(policy), run, pairs);
}
