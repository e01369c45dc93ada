import { z } from 'zod';
import { OUTCOMES } from '../metrics/sample.ts';

/**
 * run.json: the versioned result every later step (gates, reports, trend) reads. The schema is
 * exported as `RunResult`; bump RUN_SCHEMA_VERSION on any incompatible change.
 */
export const RUN_SCHEMA_VERSION = 1;

export const Percentiles = z.object({
  count: z.number().int(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
});
export type Percentiles = z.infer<typeof Percentiles>;

const OutcomeCounts = z.object(Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int()])) as Record<(typeof OUTCOMES)[number], z.ZodNumber>);

export const TargetSummary = z.object({
  target: z.string(),
  role: z.enum(['baseline', 'candidate']),
  scenario: z.string(),
  count: z.number().int(),
  outcomes: OutcomeCounts,
  /** outcomes[k] / count, for every outcome. */
  outcomeRates: z.record(z.string(), z.number()),
  /** Streams that did not complete / count. */
  errorRate: z.number(),
  /** HTTP 5xx responses / count. */
  http5xxRate: z.number(),
  /** Streams with 2xx headers that did not complete / streams with 2xx headers. */
  interruptionRate: z.number(),
  streamsWithHeaders: z.number().int(),
  headersMs: Percentiles.nullable(),
  firstEventMs: Percentiles.nullable(),
  firstContentMs: Percentiles.nullable(),
  completionMs: Percentiles.nullable(),
  gapMs: Percentiles.nullable(),
  /** Content characters per second, per complete stream, from first content to completion. */
  contentCharsPerSec: Percentiles.nullable(),
  citations: z.object({
    /** Completed streams whose prompt expects citations. */
    expected: z.number().int(),
    /** Of those, streams that carried at least one citation. */
    present: z.number().int(),
    /** present / expected; null when no prompt expects citations. */
    presenceRate: z.number().nullable(),
  }),
  bytes: z.number(),
  contentChars: z.number(),
});
export type TargetSummary = z.infer<typeof TargetSummary>;

export const PreflightCheckResult = z.object({
  target: z.string(),
  path: z.string(),
  expectedStatus: z.number(),
  status: z.number().nullable(),
  ok: z.boolean(),
  attempts: z.number().int(),
  error: z.string().optional(),
});
export type PreflightCheckResult = z.infer<typeof PreflightCheckResult>;

export const RunResult = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('parity'), version: z.string() }),
  runId: z.string(),
  name: z.string(),
  configFile: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** False when the run was interrupted, crashed or stopped at preflight: such a run never promotes. */
  complete: z.boolean(),
  /** Why the run is incomplete. */
  incompleteReason: z.string().optional(),
  config: z.unknown(),
  targets: z.array(z.object({ name: z.string(), role: z.enum(['baseline', 'candidate']), baseUrl: z.string() })),
  preflight: z.array(PreflightCheckResult),
  load: z.object({
    model: z.string(),
    plannedIterations: z.number().int().nullable(),
    plannedDurationMs: z.number().nullable(),
    iterations: z.number().int(),
    /** Requests in flight when the run was interrupted: not measured, not in the samples. */
    abandoned: z.number().int(),
    durationMs: z.number(),
  }),
  /** Per scenario, per target role. */
  summaries: z.array(z.object({ scenario: z.string(), baseline: TargetSummary, candidate: TargetSummary })),
  /** Paired samples, one JSON object per line, beside run.json. */
  samples: z.object({ file: z.string(), pairs: z.number().int() }),
});
export type RunResult = z.infer<typeof RunResult>;
