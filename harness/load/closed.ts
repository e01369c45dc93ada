import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadConfig } from '../config/schema.ts';

/** Runs one paired iteration; resolves when both streams have ended. */
export type IterationFn = (iteration: number, vu: number) => Promise<void>;

/**
 * Closed model: `vus` virtual users, each looping (start an iteration, wait for it, start the
 * next) until `iterations` have been started in total or `duration` has elapsed. Iterations in
 * flight at the deadline finish (bounded by the stream timeouts). Stops early on `signal`.
 * With `rampUp`, VUs start evenly spread over that time instead of all at once.
 */
export async function runClosed(load: LoadConfig, iterate: IterationFn, signal: AbortSignal): Promise<void> {
  let next = 0;
  const deadline = load.duration === undefined ? Infinity : performance.now() + load.duration;
  const more = () => !signal.aborted && (load.iterations === undefined || next < load.iterations) && performance.now() < deadline;
  const vu = async (id: number) => {
    // VU i starts at (i-1)/vus of the ramp-up, so connections open spread out rather than in one burst.
    if (load.rampUp > 0 && id > 1) await sleep(((id - 1) * load.rampUp) / load.vus, undefined, { signal }).catch(() => undefined);
    while (more()) await iterate(next++, id);
  };
  await Promise.all(Array.from({ length: load.vus }, (_, i) => vu(i + 1)));
}
