import { evaluatePolicy } from '../gates/evaluate.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import { streamValue, type GatePair, type GateSample } from '../gates/metrics.ts';
import { meetsSlo, type parseSlo } from '../gates/slo.ts';
import { percentiles } from '../metrics/percentiles.ts';
import type { StepStatus } from './capacity.ts';
import { sideView } from './early-stop.ts';
import type { SweepSide } from './result.ts';

// What one target did at one step of a sweep: its SLO status, from the step's pairs, and its figures. Pure.

/**
 * One target's SLO gates at one step: the gates read the candidate side, so the baseline is judged
 * with the pair turned round. A step proves its rate only if that rate was offered: fewer measured
 * iterations than 90% of the rate × the measured time (the harness fell behind, or dropped starts)
 * leaves a passing step inconclusive. The run's harness-health warnings (event-loop delay, dispatch
 * lag percentiles) are replaced by this check and kept in the reasons: the latencies count from
 * the intended start, so a late start counts against the target, on both sides of each pair.
 * A step that did not complete (cut short, interrupted) keeps the run's own blocker: it never passes.
 */
export function judgeSide(
  policy: LoadedPolicy,
  run: Parameters<typeof evaluatePolicy>[1],
  pairs: GatePair[],
  role: 'baseline' | 'candidate',
  perSecond: number,
  seconds: number,
): { status: StepStatus; reasons: string[] } {
  const view = sideView(pairs, role);
  const warnings = run.harness?.warnings ?? [];
  const v = evaluatePolicy(policy, run.harness ? { ...run, harness: { ...run.harness, warnings: [] } } : run, view);
  let status: StepStatus = v.status;
  const reasons = status === 'pass' ? [] : [...v.reasons];
  const offered = run.load.iterations / seconds;
  const dropped = run.load.dropped ?? 0;
  if (offered < 0.9 * perSecond || dropped > 0) {
    if (status === 'pass') status = 'inconclusive';
    reasons.push(`INCONCLUSIVE the step offered ${Math.round(offered * 100) / 100}/s of the planned ${perSecond}/s${dropped ? ` (${dropped} starts dropped)` : ''}: the rate was not proven`);
  }
  for (const w of warnings) reasons.push(`NOTE harness health: ${w}`);
  return { status, reasons };
}

export function sideFigures(samples: GateSample[], seconds: number, slo: ReturnType<typeof parseSlo> | undefined): Omit<SweepSide, 'status' | 'reasons'> {
  const values = (base: string) => {
    const read = streamValue(base)!;
    return samples.map(read).filter((v): v is number => v !== undefined);
  };
  const first = percentiles(values('first_content'));
  const good = slo ? samples.filter((s) => meetsSlo(slo, s)).length : null;
  const complete = samples.filter((s) => s.outcome === 'complete').length;
  return {
    streams: samples.length,
    throughput: complete / seconds,
    goodputPerSec: good === null ? null : good / seconds,
    goodput: good === null || samples.length === 0 ? null : good / samples.length,
    outputTokensPerSec: samples.reduce((a, s) => a + (s.outputTokens ?? 0), 0) / seconds,
    errorRate: samples.length ? 1 - complete / samples.length : 0,
    firstContentP50: first?.p50 ?? null,
    firstContentP95: first?.p95 ?? null,
    completionP95: percentiles(values('completion'))?.p95 ?? null,
    tpotP50: percentiles(values('tpot'))?.p50 ?? null,
  };
}

export function describeSide(s: SweepSide): string {
  const f = (v: number | null) => (v === null ? '–' : String(Math.round(v * 10) / 10));
  return `${s.status ?? 'no policy'} (${f(s.throughput)} completed/s, first content p95 ${f(s.firstContentP95)} ms${s.goodput !== null ? `, goodput ${f(s.goodput * 100)}%` : ''})`;
}
