import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Iteration, LoadContext } from '../../load/context.ts';
import type { CapturedRequest } from './capture.ts';
import type { ReplayItem } from './feed.ts';

const BURST = 64;

/**
 * The open-model dispatcher of a replay (as runArrivals for the arrival-rate models): each request
 * starts at its recorded offset whatever the responses do; a start that `maxInFlight` does not
 * allow is dropped and counted; a late start fires at once with its lag measured, and latencies
 * count from the intended start. At --speed max (offset 0) a start waits for a free slot instead.
 * Requests are pulled from the capture one at a time, so the file is never held.
 */
export async function runReplay(items: AsyncIterable<ReplayItem>, maxInFlight: number, asFastAsPossible: boolean, iterate: (it: Iteration, req: CapturedRequest) => Promise<void>, ctx: LoadContext): Promise<void> {
  const running = new Set<Promise<void>>();
  let burst = 0;
  // The schedule starts when the capture's first request is read (opening a multi-GB file or
  // scanning to the first kept entry takes time): every later offset keeps its distance to it.
  let origin: number | undefined;
  for await (const item of items) {
    if (ctx.signal.aborted) break;
    origin ??= Math.max(ctx.startAt, performance.now() - item.offsetMs);
    const iteration = ctx.claimIteration();
    let intendedAt = origin + item.offsetMs;
    let offsetMs = item.offsetMs;
    if (asFastAsPossible) {
      // As fast as maxInFlight allows: the next start waits for a free slot (closed at the bound), measured from when it got one.
      while (running.size >= maxInFlight) await Promise.race(running);
      intendedAt = performance.now();
      offsetMs = intendedAt - origin;
    }
    const wait = intendedAt - performance.now();
    if (wait > 0) {
      burst = 0;
      await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) break;
    } else if (++burst >= BURST) {
      burst = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
    ctx.schedulerLag(Math.max(0, performance.now() - intendedAt));
    if (running.size >= maxInFlight) {
      ctx.dropped(iteration, offsetMs);
      continue;
    }
    const p: Promise<void> = iterate({ iteration, vu: 0, intendedAt, offsetMs }, item.req).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
}
