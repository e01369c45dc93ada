import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { preciseWait } from './precise-wait.ts';
import { shareOf, type Iteration, type IterationFn, type LoadContext } from './context.ts';

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
  const pacer = new Pacer(ctx);
  for (let i = ctx.shard.index; i < schedule.count && !ctx.signal.aborted; i += ctx.shard.count) {
    const offsetMs = schedule.at(i);
    if (!(await pacer.until(ctx.startAt + offsetMs))) break;
    pacer.start(bound, { iteration: i, vu: 0, intendedAt: ctx.startAt + offsetMs, offsetMs }, iterate);
  }
  await pacer.drain();
}

/**
 * The open model's pacing, shared by the arrival-rate models and `parity replay`: wait for a
 * start's moment (or, when behind, fire at once, yielding to I/O after a burst), record the lag,
 * then start it unless `bound` iterations are running (dropped and counted).
 */
export class Pacer {
  readonly running = new Set<Promise<void>>();
  private burst = 0;

  /** `precise`: the last stretch before each start is waited by turns of the event loop (load/precise-wait.ts), not a timer. */
  constructor(
    private readonly ctx: LoadContext,
    private readonly precise = false,
  ) {}

  /** Waits until `intendedAt`; false when the run was aborted meanwhile. */
  async until(intendedAt: number): Promise<boolean> {
    const wait = intendedAt - performance.now();
    if (wait > 0) {
      this.burst = 0;
      if (this.precise) await preciseWait(intendedAt, this.ctx.signal);
      else {
        await sleep(wait, undefined, { signal: this.ctx.signal }).catch(() => undefined);
        // A timer wakes on the loop's millisecond clock, up to about a millisecond before its due
        // time: a start sent then would leave before its intended time with its lag clamped to 0.
        // The rest (under ~1.5 ms, on the early wakes only) is waited by turns of the event loop.
        while (!this.ctx.signal.aborted && performance.now() < intendedAt) await new Promise<void>((r) => setImmediate(r));
      }
      if (this.ctx.signal.aborted) return false;
    } else if (++this.burst >= BURST) {
      this.burst = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
    this.ctx.schedulerLag(Math.max(0, performance.now() - intendedAt));
    return true;
  }

  /** Starts the iteration, or counts it dropped when `bound` are in flight. */
  start(bound: number, it: Iteration, iterate: IterationFn): void {
    if (this.running.size >= bound) {
      this.ctx.dropped(it.iteration, it.offsetMs);
      return;
    }
    const p: Promise<void> = iterate(it).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  drain(): Promise<unknown> {
    return Promise.all(this.running);
  }
}
