import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { shareOf, type IterationFn, type LoadContext } from './context.ts';

/** An arrival schedule: `count` iterations, iteration i meant to start `at(i)` ms after the schedule starts (non-decreasing). */
export interface Schedule {
  count: number;
  at(i: number): number;
}

/** Starts fired back to back before the dispatcher yields to I/O, when it has fallen behind. */
const BURST = 64;

/**
 * The open-model dispatcher shared by the arrival-rate models: each scheduled iteration starts at
 * its time whatever the responses do. If `maxInFlight` iterations are already running, the start is
 * dropped and counted. If the harness falls behind, late starts fire at once (their lag is
 * measured, and latencies still count from the intended time). Each worker runs the iterations
 * numbered index mod count, so the schedule and the numbering hold across workers.
 */
export async function runArrivals(schedule: Schedule, maxInFlight: number, iterate: IterationFn, ctx: LoadContext): Promise<void> {
  const bound = shareOf(maxInFlight, ctx.shard);
  const running = new Set<Promise<void>>();
  let burst = 0;
  for (let i = ctx.shard.index; i < schedule.count && !ctx.signal.aborted; i += ctx.shard.count) {
    const offsetMs = schedule.at(i);
    const intendedAt = ctx.startAt + offsetMs;
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
    if (running.size >= bound) {
      ctx.dropped(i, offsetMs);
      continue;
    }
    const p: Promise<void> = iterate({ iteration: i, vu: 0, intendedAt, offsetMs }).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
}
