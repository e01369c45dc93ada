import { z } from 'zod';

/**
 * run.json `serverMetrics`: every server-side series read for the run's window, per target, with
 * its points and the statistics gates read (`server.<name>`, `.max`, `.mean`, ...). Stored whole,
 * so `parity gate` and `parity report` judge and render a stored run offline.
 */
export const SOURCE_KINDS = ['prometheus', 'scrape', 'json'] as const;

export const SeriesStats = z.object({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  last: z.number(),
  p95: z.number(),
  /** Last point − first point. */
  growth: z.number(),
  /** Least-squares slope, per second (0 with a single point). */
  slope: z.number(),
});
export type SeriesStats = z.infer<typeof SeriesStats>;

/**
 * A restart of the target's process inside the window, between two reads: its
 * process_start_time_seconds changed, a counter went backwards, or its endpoint refused
 * connections in between (nothing listening); `prometheus`: changes() of the process start time.
 */
export const RESTART_SIGNALS = ['process_start_time', 'counter_reset', 'refused', 'prometheus'] as const;
export const SeriesRestart = z.object({
  /** Epoch ms of the last read of the old process and the first of the new one. */
  after: z.number(),
  before: z.number(),
  signal: z.enum(RESTART_SIGNALS),
});
export type SeriesRestart = z.infer<typeof SeriesRestart>;

export const ServerSeriesResult = z.object({
  name: z.string(),
  target: z.string(),
  role: z.enum(['baseline', 'candidate']),
  source: z.enum(SOURCE_KINDS),
  /** The PromQL as sent, the scraped metric and endpoint, or the JSON path and endpoint. */
  query: z.string(),
  /** scrape: the family's type as exposed (counter, gauge, histogram, untyped). */
  kind: z.string().optional(),
  /** What `server.<name>` reads: prometheus: the instant query at the window's end; counter: the increase over the window; histogram: the quantile over the window; gauge/json: the last value. */
  value: z.number().nullable(),
  /** [epoch ms, value]; counters: per-second rate between scrapes; histograms: the quantile per interval. */
  points: z.array(z.tuple([z.number(), z.number()])),
  stats: SeriesStats.nullable(),
  /** Why there is nothing to judge: "source unreachable: ...", "empty series: ...", "query rejected: ...". */
  error: z.string().optional(),
  /** Reads that failed inside the window without voiding the series. */
  missed: z.number().int().optional(),
  /** Polled sources: reads made in the window, failed ones included (what `missed` is a share of). */
  reads: z.number().int().optional(),
  /** Restarts of the target's process seen in the window (gates on what a restart resets are inconclusive). */
  restarts: z.array(SeriesRestart).optional(),
  /**
   * Both targets read this series with the same query from the same source (a shared PromQL with
   * no {{target}}, {{instance}} or label in it): one series twice, so no ratio or delta of it
   * says anything about the candidate.
   */
  sameSeries: z.literal(true).optional(),
});
export type ServerSeriesResult = z.infer<typeof ServerSeriesResult>;

export const ServerMetricsResult = z.object({
  /** The window the series cover (epoch ms as ISO text). */
  startedAt: z.string(),
  endedAt: z.string(),
  series: z.array(ServerSeriesResult),
});
export type ServerMetricsResult = z.infer<typeof ServerMetricsResult>;
