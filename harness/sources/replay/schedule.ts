import { performance } from 'node:perf_hooks';
import { Pacer } from '../../load/arrivals.ts';
import type { Iteration, LoadContext } from '../../load/context.ts';
import type { CapturedRequest } from './capture.ts';
import type { ReplayItem } from './feed.ts';

/**
 * The open-model dispatcher of a replay (the arrival-rate models' pacing, load/arrivals.ts): each
 * request starts at its recorded offset whatever the responses do; a start that `maxInFlight` does
 * not allow is dropped and counted; a late start fires at once with its lag measured, and
 * latencies count from the intended start. At --speed max a start waits for a free slot instead.
 * Requests are pulled from the capture one at a time, so the file is never held. The last stretch
 * before each start is waited precisely (load/precise-wait.ts): the recorded inter-arrival times
 * hold within ±5 ms, and the shard has warmed the request path and opened connections (warm.ts,
 * targets/preconnect.ts) before this starts the clock.
 */
export async function runReplay(items: AsyncIterable<ReplayItem>, maxInFlight: number, asFastAsPossible: boolean, iterate: (it: Iteration, req: CapturedRequest) => Promise<void>, ctx: LoadContext): Promise<void> {
  const pacer = new Pacer(ctx, true);
  // The schedule starts when the capture's first request is read (opening a multi-GB file or
  // scanning to the first kept entry takes time): every later offset keeps its distance to it.
  let origin: number | undefined;
  // A segment (--segment K/N; the feed gives it its share) starts on the signal every segment shares.
  const segmented = ctx.shard.count > 1;
  for await (const item of items) {
    if (ctx.signal.aborted) break;
    origin ??= segmented ? ctx.startAt : Math.max(ctx.startAt, performance.now() - item.offsetMs);
    const iteration = ctx.claimIteration();
    let intendedAt = origin + item.offsetMs;
    if (asFastAsPossible) {
      // As fast as maxInFlight allows: the next start waits for a free slot (closed at the bound), measured from when it got one.
      while (pacer.running.size >= maxInFlight) await Promise.race(pacer.running);
      intendedAt = performance.now();
    }
    if (!(await pacer.until(intendedAt))) break;
    pacer.start(maxInFlight, { iteration, vu: 0, intendedAt, offsetMs: intendedAt - origin }, (it) => iterate(it, item.req));
  }
  await pacer.drain();
}
