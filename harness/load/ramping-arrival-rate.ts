import type { RampingArrivalRateConfig, StageConfig } from '../config/schema.ts';
import { runArrivals, type Schedule } from './arrivals.ts';
import type { IterationFn, LoadContext } from './context.ts';
import { integralTo, stagesDuration } from './stages.ts';

/**
 * Ramping arrival rate: the rate moves linearly from `startRate` through each stage's target.
 * Iteration i is meant to start when the integral of the rate reaches i, so every stage gets the
 * iterations its ramp integrates to.
 */
export function runRampingArrivalRate(load: RampingArrivalRateConfig, iterate: IterationFn, ctx: LoadContext): Promise<void> {
  return runArrivals(rampSchedule(load.startRate / load.timeUnit, load.stages.map((s) => ({ ...s, target: s.target / load.timeUnit }))), load.maxInFlight, iterate, ctx);
}

/** The schedule of a piecewise-linear rate (per ms): the time at which the running integral reaches i. */
export function rampSchedule(startRate: number, stages: readonly StageConfig[]): Schedule {
  const segments: { at: number; n: number; r0: number; slope: number; span: number }[] = [];
  let at = 0;
  let r0 = startRate;
  for (const s of stages) {
    if (s.duration > 0) segments.push({ at, n: integralTo(startRate, stages, at), r0, slope: (s.target - r0) / s.duration, span: s.duration });
    at += s.duration;
    r0 = s.target;
  }
  const total = integralTo(startRate, stages, stagesDuration(stages));
  let k = 0;
  return {
    count: Math.ceil(total - 1e-9),
    at(i) {
      // Starts are asked for in order, so the segment only moves forward (a new schedule restarts at 0).
      if (k > 0 && i < segments[k]!.n) k = 0;
      while (k + 1 < segments.length && segments[k + 1]!.n <= i) k++;
      const seg = segments[k]!;
      const x = i - seg.n;
      // Solve r0·τ + slope·τ²/2 = x for τ, in the form that stays exact when slope is 0 or negative.
      const disc = Math.max(0, seg.r0 * seg.r0 + 2 * seg.slope * x);
      const denom = seg.r0 + Math.sqrt(disc);
      return seg.at + (denom > 0 ? Math.min(seg.span, (2 * x) / denom) : 0);
    },
  };
}
