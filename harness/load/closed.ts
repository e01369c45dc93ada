import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClosedLoadConfig } from '../config/schema.ts';
import type { IterationFn, LoadContext } from './context.ts';
import { stagesDuration, valueAt } from './stages.ts';

/** How often ramping VUs re-read the stage target. */
const TICK_MS = 50;

/**
 * Closed model: virtual users, each looping (start an iteration, wait for it, start the next).
 * With `iterations` or `duration`, `vus` users run until that many iterations have started or the
 * time is up; `rampUp` spreads their first starts evenly. With `stages`, the number of users moves
 * linearly from `vus` (default 0) to each stage's target; a user above the target stops after its
 * current iteration. Iterations in flight at the end finish (bounded by the stream timeouts).
 * A closed model waits for the backend before its next start, so it never measures queueing:
 * intended start = actual start, by definition.
 */
export async function runClosed(load: ClosedLoadConfig, iterate: IterationFn, ctx: LoadContext): Promise<void> {
  const end = ctx.startAt + (load.stages ? stagesDuration(load.stages) : (load.duration ?? Infinity));
  const more = () => !ctx.signal.aborted && performance.now() < end;
  const mine = (id: number) => (id - 1) % ctx.shard.count === ctx.shard.index;
  // Set once a claim finds the iterations used up: the ramp-up stops then, instead of starting VUs with nothing left to run.
  const used = new AbortController();
  let idle = 0;
  const loop = async (id: number, keepGoing: () => boolean) => {
    let ran = false;
    while (more() && keepGoing()) {
      const iteration = ctx.claimIteration();
      if (load.iterations !== undefined && iteration >= load.iterations) {
        used.abort();
        if (!ran) idle++;
        return;
      }
      ran = true;
      const intendedAt = performance.now();
      await iterate({ iteration, vu: id, intendedAt, offsetMs: intendedAt - ctx.startAt });
    }
  };
  if (!load.stages) {
    const vus = load.vus ?? 1;
    // VU i starts at (i-1)/vus of the ramp-up, so connections open spread out rather than in one
    // burst. One sleeper starts them in turn: a sleep per VU would add an abort listener per VU to
    // the run's signal, and EventTarget checks every listener already there on each add.
    // With `iterations`, VUs whose turn comes after the iterations ran out are not started, and are
    // counted: the run never had load.vus users at once (a lighter load than planned, reported).
    const rampStart = ctx.startAt;
    const running: Promise<void>[] = [];
    const stop = AbortSignal.any([ctx.signal, used.signal]);
    for (let id = 1; id <= vus; id++) {
      if (!mine(id)) continue;
      const wait = load.rampUp > 0 ? rampStart + ((id - 1) * load.rampUp) / vus - performance.now() : 0;
      if (wait > 0 && !stop.aborted) await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
      if (used.signal.aborted) idle++;
      else running.push(loop(id, () => true));
    }
    await Promise.all(running);
    if (idle > 0) ctx.idleVus?.(idle);
    return;
  }
  const stages = load.stages;
  let target = 0;
  const running = new Map<number, Promise<void>>();
  while (more()) {
    target = Math.round(valueAt(load.vus ?? 0, stages, performance.now() - ctx.startAt));
    for (let id = 1; id <= target; id++) {
      if (!mine(id) || running.has(id)) continue;
      running.set(
        id,
        loop(id, () => id <= target).finally(() => running.delete(id)),
      );
    }
    await sleep(Math.min(TICK_MS, Math.max(1, end - performance.now())), undefined, { signal: ctx.signal }).catch(() => undefined);
  }
  await Promise.all(running.values());
}

/**
 * The harness warning for closed VUs that never ran (the iterations ran out during the ramp-up):
 * the run never had load.vus users at once, so its figures are of a lighter load than planned.
 */
export function idleVusWarning(idle: number, load: ClosedLoadConfig): string {
  return `load: ${idle} of load.vus ${load.vus ?? 0} VUs never ran an iteration (the ${load.iterations ?? 0} iterations ran out before the ${load.rampUp} ms rampUp started them): the run never had load.vus users at once, a lighter load than planned; give more iterations or a shorter rampUp`;
}
