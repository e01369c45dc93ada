import { performance } from 'node:perf_hooks';

/**
 * This thread's performance.timeOrigin, read once: it never changes, and the getter is a call
 * into Node's bindings each time (twice per request, in the request path).
 */
export const TIME_ORIGIN = performance.timeOrigin;

/** A performance.now() reading as epoch milliseconds, to the microsecond (a sample's `startedAt`). */
export function epochMs(t: number): number {
  return Math.round((TIME_ORIGIN + t) * 1000) / 1000;
}
