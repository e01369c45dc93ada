import type { ConstantArrivalRateConfig } from '../config/schema.ts';
import { runArrivals } from './arrivals.ts';
import { constantCount, type IterationFn, type LoadContext } from './context.ts';

/**
 * Constant arrival rate: `rate` paired iterations per `timeUnit` for `duration`, iteration i
 * meant to start at i·timeUnit/rate, whatever the backends do (bounded by `maxInFlight`).
 */
export function runConstantArrivalRate(load: ConstantArrivalRateConfig, iterate: IterationFn, ctx: LoadContext): Promise<void> {
  const interval = load.timeUnit / load.rate;
  return runArrivals({ count: constantCount(load.rate, load.timeUnit, load.duration), at: (i) => i * interval }, load.maxInFlight, iterate, ctx);
}
