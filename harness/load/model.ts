import type { LoadConfig } from '../config/schema.ts';
import { runClosed } from './closed.ts';
import { runConstantArrivalRate } from './constant-arrival-rate.ts';
import { runRampingArrivalRate } from './ramping-arrival-rate.ts';
import { stagesDuration } from './stages.ts';
import { constantCount, type IterationFn, type LoadContext } from './context.ts';

export type { Iteration, IterationFn, LoadContext } from './context.ts';
export { constantCount, shareOf } from './context.ts';

/** The registry: model name → the file that runs it. */
export async function runLoad(load: LoadConfig, iterate: IterationFn, ctx: LoadContext): Promise<void> {
  switch (load.model) {
    case 'closed':
      return runClosed(load, iterate, ctx);
    case 'constant-arrival-rate':
      return runConstantArrivalRate(load, iterate, ctx);
    case 'ramping-arrival-rate':
      return runRampingArrivalRate(load, iterate, ctx);
  }
}

/** What the config plans, for run.json and the progress line: iterations (when known) and duration. */
export function planned(load: LoadConfig): { iterations: number | null; durationMs: number | null } {
  switch (load.model) {
    case 'closed':
      return { iterations: load.iterations ?? null, durationMs: load.stages ? stagesDuration(load.stages) : (load.duration ?? null) };
    case 'constant-arrival-rate':
      return { iterations: constantCount(load.rate, load.timeUnit, load.duration), durationMs: load.duration };
    case 'ramping-arrival-rate':
      return { iterations: null, durationMs: stagesDuration(load.stages) };
  }
}
