import { performance } from 'node:perf_hooks';
import type { StreamSample } from '../metrics/sample.ts';

/**
 * This thread's performance.timeOrigin, read once: it never changes, and the getter is a call
 * into Node's bindings each time (twice per request, in the request path).
 */
export const TIME_ORIGIN = performance.timeOrigin;

/** A performance.now() reading as epoch milliseconds, to the microsecond (a sample's `startedAt`). */
export function epochMs(t: number): number {
  return Math.round((TIME_ORIGIN + t) * 1000) / 1000;
}

/**
 * An open-model (or replayed) iteration's first sample: its intended start as epoch ms (a
 * segment's sink moves it onto its wall clock) and how late its request went out after it
 * (`t0`, `intendedAt`: performance.now() readings).
 */
export function stampIntended(s: StreamSample, t0: number, intendedAt: number): void {
  s.intendedAt = Math.round((TIME_ORIGIN + intendedAt) * 1000) / 1000;
  s.dispatchLagMs = Math.round(Math.max(0, t0 - intendedAt) * 1000) / 1000;
}
