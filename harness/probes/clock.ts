import { performance } from 'node:perf_hooks';

/** A performance.now() reading as epoch milliseconds, to the microsecond (a sample's `startedAt`). */
export function epochMs(t: number): number {
  return Math.round((performance.timeOrigin + t) * 1000) / 1000;
}
