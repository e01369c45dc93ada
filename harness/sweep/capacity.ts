import type { Op } from '../gates/threshold.ts';

/**
 * The pure part of a paired capacity sweep: the rates of its steps, each target's knee (the
 * highest rate whose SLO gates still pass), and the capacity gate on the knees.
 *
 * A knee is known to a step's resolution only: the truth lies between the knee (its gates passed)
 * and the next step (its gates failed). So the capacity gate is judged on an interval, like every
 * other gate: pass only when the whole interval is within the limit, fail only when it is all
 * beyond, inconclusive otherwise. An inconclusive step (too few samples, a busy harness) or a
 * range that ends before a target failed leaves that side of its knee open.
 */
export type StepStatus = 'pass' | 'fail' | 'inconclusive';

export interface Knee {
  /** Highest rate of the passing steps from the bottom of the range; null when the first step did not pass. */
  rate: number | null;
  /** The true capacity is below this rate (the first failing step above the knee); null when not known. */
  below: number | null;
}

/** K rates evenly from `from` to `to` (both included; one step runs `from`). */
export function sweepRates(from: number, to: number, steps: number): number[] {
  if (steps === 1) return [from];
  return Array.from({ length: steps }, (_, i) => Math.round((from + ((to - from) * i) / (steps - 1)) * 1000) / 1000);
}

/** The knee from the steps' statuses (ascending rates). */
export function kneeOf(steps: readonly { rate: number; status: StepStatus }[]): Knee {
  let rate: number | null = null;
  for (const s of steps) {
    if (s.status === 'pass') {
      rate = s.rate;
      continue;
    }
    return { rate, below: s.status === 'fail' ? s.rate : null };
  }
  return { rate, below: null };
}

/** Whether both targets are clearly past their knee: this step failed for both (the sweep stops). */
export function bothPast(statuses: { baseline: StepStatus; candidate: StepStatus }): boolean {
  return statuses.baseline === 'fail' && statuses.candidate === 'fail';
}

export interface CapacityJudgement {
  status: StepStatus;
  /** The compared quantity as seen: candidate knee / baseline knee (ratio) or the candidate's knee (absolute). */
  value: number | null;
  /** Where the true quantity lies, given the step resolution: [low, high). */
  interval: { low: number; high: number };
  reason: string;
}

/** Judges `capacity <op> <limit>` (absolute, a rate) or `capacity <op> <limit>x baseline` (ratio) on the knees. */
export function judgeCapacity(op: Op, limit: number, comparison: 'absolute' | 'ratio', baseline: Knee, candidate: Knee): CapacityJudgement {
  const cLow = candidate.rate ?? 0;
  const cHigh = candidate.below ?? Infinity;
  let low = cLow;
  let high = cHigh;
  let value: number | null = candidate.rate;
  if (comparison === 'ratio') {
    const bLow = baseline.rate ?? 0;
    const bHigh = baseline.below ?? Infinity;
    low = bHigh === Infinity ? 0 : cLow / bHigh;
    high = bLow === 0 ? Infinity : cHigh / bLow;
    value = candidate.rate !== null && baseline.rate !== null && baseline.rate > 0 ? candidate.rate / baseline.rate : null;
  }
  // The truth lies in [low, high): an upper bound of `high` itself is never reached.
  let status: StepStatus;
  if (op === '>=' || op === '>') {
    if (op === '>=' ? low >= limit : low > limit) status = 'pass';
    else if (high <= limit) status = 'fail';
    else status = 'inconclusive';
  } else if (high <= limit && (op === '<=' || high < Infinity)) status = 'pass';
  else if (op === '<=' ? low > limit : low >= limit) status = 'fail';
  else status = 'inconclusive';
  const what = comparison === 'ratio' ? 'candidate knee / baseline knee' : 'candidate knee';
  const fmt = (v: number) => (v === Infinity ? '∞' : String(Math.round(v * 1000) / 1000));
  const reason = `${what} ${value === null ? '–' : fmt(value)}, within [${fmt(low)}, ${fmt(high)}) at the sweep's step resolution: ${status === 'pass' ? 'entirely within' : status === 'fail' ? 'entirely beyond' : 'straddles'} ${op} ${fmt(limit)}${comparison === 'ratio' ? 'x' : '/s'}`;
  return { status, value, interval: { low, high }, reason };
}
