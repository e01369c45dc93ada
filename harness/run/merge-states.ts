import { harnessHealth, type HealthLimits } from '../load/health.ts';
import type { Role } from '../metrics/sample.ts';
import { SummaryAccumulator } from '../metrics/summary.ts';
import { TimelineAccumulator } from '../metrics/timeline.ts';
import type { HarnessHealth, RunResult } from './result.ts';
import type { ShardState } from './shard.ts';

export type Counts = Record<'iterations' | 'warmupIterations' | 'pairs' | 'abandoned' | 'dropped', number>;

/**
 * What shards measured, merged into run.json's summaries, timeline, counts and harness health:
 * histograms and counters add, so the result is the same whichever shard measured which pair.
 * Worker threads of one run merge here, and so do the segments of a plan (`parity merge`).
 */
export function mergeShardStates(
  names: { baseline: string; candidate: string; scenarios: readonly string[]; health?: Partial<HealthLimits> },
  shards: readonly ShardState[],
): { summaries: RunResult['summaries']; timeline: NonNullable<RunResult['timeline']>; counts: Counts; health: HarnessHealth | undefined } {
  const merged = new Map(names.scenarios.map((s) => [s, [new SummaryAccumulator(names.baseline, 'baseline', s), new SummaryAccumulator(names.candidate, 'candidate', s)]]));
  for (const st of shards) for (const acc of st.summaries) merged.get(acc.scenario)?.[acc.role === 'baseline' ? 0 : 1]!.merge(acc);
  const timeline = new TimelineAccumulator();
  for (const st of shards) timeline.merge(st.timeline);
  const sum = (k: keyof Counts) => shards.reduce((a, s) => a + s[k], 0);
  const targets: { name: string; role: Role }[] = [
    { name: names.baseline, role: 'baseline' },
    { name: names.candidate, role: 'candidate' },
  ];
  return {
    summaries: [...merged].map(([scenario, [b, c]]) => ({ scenario, baseline: b!.summary(), candidate: c!.summary() })),
    timeline: timeline.timeline(targets),
    counts: { iterations: sum('iterations'), warmupIterations: sum('warmupIterations'), pairs: sum('pairs'), abandoned: sum('abandoned'), dropped: sum('dropped') },
    health: shards.length ? harnessHealth(shards, names.health) : undefined,
  };
}
