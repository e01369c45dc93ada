import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The last stretch before a due time that is waited by turns of the event loop (setImmediate)
 * rather than by a timer: a timer wakes on the loop's millisecond clock, often a millisecond or
 * more late and sometimes a fraction early. Each turn still runs pending I/O, and the stretch is
 * short, so the cost is at most this much CPU per start.
 */
export const PRECISE_MS = 1.5;

/** Waits until performance.now() reaches `at` (or `signal` aborts): a timer for the bulk, then turns of the loop. */
export async function preciseWait(at: number, signal: AbortSignal): Promise<void> {
  const coarse = at - performance.now() - PRECISE_MS;
  if (coarse >= 1) await sleep(Math.floor(coarse), undefined, { signal }).catch(() => undefined);
  while (!signal.aborted && performance.now() < at) await new Promise<void>((r) => setImmediate(r));
}
