/** What load models share: the iteration they start, the context the run gives them, and shares of a bound. */

/** One paired iteration the load model wants started now. */
export interface Iteration {
  iteration: number;
  /** The virtual user running it (closed model); 0 in arrival-rate models. */
  vu: number;
  /** performance.now() at which the model meant it to start. */
  intendedAt: number;
  /** The same, in ms since the schedule started (exact: warm-up is decided on it). */
  offsetMs: number;
}

/** Runs one paired iteration; resolves when both streams have ended. */
export type IterationFn = (it: Iteration) => Promise<void>;

/** What a load model gets from the run. Models only schedule iterations; they never see samples. */
export interface LoadContext {
  signal: AbortSignal;
  /** performance.now() at which the schedule starts (the same instant in every worker). */
  startAt: number;
  /** This worker's share: iterations (arrival rate) or VUs (closed) with number mod count = index. */
  shard: { index: number; count: number };
  /** Next iteration number, shared by every worker (closed VUs number their iterations as they start). */
  claimIteration(): number;
  /** A scheduled start that `maxInFlight` did not allow: counted, never silently skipped. */
  dropped(iteration: number, offsetMs: number): void;
  /** How late the scheduler fired a start (ms), for self-diagnosis; arrival-rate models only. */
  schedulerLag(ms: number): void;
  /** Closed VUs of this shard that never ran an iteration (the iterations ran out before their start): the run never had load.vus users at once. */
  idleVus?(count: number): void;
}

/** Iterations i start at i·timeUnit/rate for every start strictly before `duration`. */
export function constantCount(rate: number, timeUnit: number, duration: number): number {
  return Math.ceil((duration * rate) / timeUnit - 1e-9);
}

/** This worker's share of a bound split over `count` workers (they add up to the bound). */
export function shareOf(total: number, shard: { index: number; count: number }): number {
  return Math.floor(total / shard.count) + (shard.index < total % shard.count ? 1 : 0);
}
