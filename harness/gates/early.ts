import type { RunResult, Verdict } from '../run/result.ts';
import { evaluatePolicy } from './evaluate.ts';
import type { LoadedPolicy } from './load.ts';
import type { GatePair } from './metrics.ts';

/**
 * Judging data that is still coming in (a shadow window as it fills, a sweep step as it runs), to
 * stop early once it already fails (k6's abortOnFail). The verdict is `evaluatePolicy`'s, with one
 * change: insufficiency never fails here. Too few samples, no data (a window's server-side series
 * are read only at its close) and the partial run itself leave a gate open even under
 * `insufficient: fail`, so only evidence fails: a gate's interval entirely beyond its limit over
 * at least its `minSamples`, or an exact count already beyond an upper limit.
 */
export function strictPolicy(policy: LoadedPolicy): LoadedPolicy {
  const open = <G extends { insufficient: 'inconclusive' | 'fail' }>(g: G): G => ({ ...g, insufficient: 'inconclusive' });
  return { ...policy, insufficient: 'inconclusive', gates: policy.gates.map(open), guard: open(policy.guard) };
}

/** The verdict on the data so far when it already fails on evidence, else null. */
export function failsSoFar(policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[]): Verdict | null {
  const v = evaluatePolicy(strictPolicy(policy), run, pairs);
  return v.status === 'fail' ? v : null;
}
