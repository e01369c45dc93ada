import type { StageConfig } from '../config/schema.ts';

/** Stages as a piecewise-linear function of time: each stage moves linearly from the previous target to its own. */
export function stagesDuration(stages: readonly StageConfig[]): number {
  return stages.reduce((a, s) => a + s.duration, 0);
}

/** The value at `t` ms, starting from `start`; after the last stage, its target. */
export function valueAt(start: number, stages: readonly StageConfig[], t: number): number {
  let from = start;
  let at = 0;
  for (const s of stages) {
    if (t < at + s.duration) return from + ((s.target - from) * (t - at)) / s.duration;
    at += s.duration;
    from = s.target;
  }
  return from;
}

/** ∫ value dt from 0 to t, in value·ms. */
export function integralTo(start: number, stages: readonly StageConfig[], t: number): number {
  let from = start;
  let at = 0;
  let sum = 0;
  for (const s of stages) {
    const span = Math.min(s.duration, Math.max(0, t - at));
    if (span > 0) sum += span * (from + (from + ((s.target - from) * span) / s.duration)) / 2;
    at += s.duration;
    from = s.target;
    if (t <= at) break;
  }
  return sum;
}
