import { HEALTH_LIMITS } from '../config/schema.ts';
import type { HarnessHealth } from '../run/result.ts';
import { Histogram, type HistogramJSON } from '../metrics/histogram.ts';

export { HEALTH_LIMITS };
export type HealthLimits = Record<keyof typeof HEALTH_LIMITS, number>;

/** A config's `load.health` (milliseconds, either may be absent) as limits. */
export function healthLimits(health: { eventLoopDelayP99?: number | undefined; dispatchLagP99?: number | undefined } | undefined): Partial<HealthLimits> {
  return { eventLoopDelayP99Ms: health?.eventLoopDelayP99, dispatchLagP99Ms: health?.dispatchLagP99 } as Partial<HealthLimits>;
}

const definedOnly = (o: Partial<HealthLimits>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<HealthLimits>;

export interface ThreadHealth {
  schedulerLag: HistogramJSON;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
}

/**
 * The harness's own health over a run, from every thread that made load: the worst thread's
 * event-loop delay (a busy loop delays every timestamp it takes) and how late the scheduler
 * started arrival-rate iterations. Each over its limit adds a warning, which the summary prints
 * and the gates read.
 */
export function harnessHealth(threads: readonly ThreadHealth[], limits: Partial<HealthLimits> = {}): HarnessHealth {
  const { eventLoopDelayP99Ms: eldLimit, dispatchLagP99Ms: lagLimit } = { ...HEALTH_LIMITS, ...definedOnly(limits) };
  const lag = new Histogram();
  for (const t of threads) lag.merge(t.schedulerLag);
  const delays = threads.map((t) => t.eventLoopDelayMs).filter((d) => d !== null);
  const eventLoopDelayMs = delays.length ? delays.reduce((a, b) => (b.p99 > a.p99 ? b : a)) : null;
  const dispatchLagMs = lag.percentiles();
  const warnings: string[] = [];
  if (eventLoopDelayMs && eventLoopDelayMs.p99 > eldLimit) {
    warnings.push(
      `harness event-loop delay p99 ${eventLoopDelayMs.p99} ms (limit ${eldLimit} ms): the harness was too busy to take timestamps on time; use --workers, a bigger machine or less load`,
    );
  }
  if (dispatchLagMs && dispatchLagMs.p99 > lagLimit) {
    warnings.push(
      `harness dispatch lag p99 ${dispatchLagMs.p99} ms (limit ${lagLimit} ms): iterations started late, so the offered load was below the configured rate`,
    );
  }
  return { eventLoopDelayMs, dispatchLagMs, warnings };
}
