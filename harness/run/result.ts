import { z } from 'zod';
import { OUTCOMES } from '../metrics/sample.ts';
import { ServerMetricsResult } from '../metrics/server/result.ts';
import { MergedSegments, SegmentRecord } from './segment-result.ts';

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

/** counts[i] values fell in [edges[i], edges[i+1]); edges.length === counts.length + 1. */
export const Histogram = z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) });
export type Histogram = z.infer<typeof Histogram>;

/** Outcomes added with request and flow scenarios, and `empty`: a run.json written before them has none. */
const LATER_OUTCOMES: readonly string[] = ['ok', 'assertion_failed', 'capture_failed', 'empty'];
const OutcomeCounts = z.object(
  Object.fromEntries(OUTCOMES.map((o) => [o, LATER_OUTCOMES.includes(o) ? z.number().int().default(0) : z.number().int()])) as Record<(typeof OUTCOMES)[number], z.ZodNumber>,
);

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
  /**
   * headersMs/firstEventMs/firstContentMs/completionMs count from the iteration's intended start
   * (what a user arriving on schedule feels). These count from the actual send: service time.
   */
  serviceTime: z
    .object({ headersMs: Percentiles.nullable(), firstEventMs: Percentiles.nullable(), firstContentMs: Percentiles.nullable(), completionMs: Percentiles.nullable() })
    .optional(),
  /** Actual send − intended start, per request (harness lag plus waits for a free connection). */
  dispatchLagMs: Percentiles.nullable().optional(),
  /** Scheduled iterations of this scenario that could not start because `maxInFlight` was reached. */
  dropped: z.number().int().optional(),
  /** Quantiles at 0, 1, ..., 100 % (see metrics/distribution.ts), for the reports' CDF plots; null when no value. */
  cdf: z
    .object({
      firstContentMs: z.array(z.number()).nullable(),
      completionMs: z.array(z.number()).nullable(),
      itlMs: z.array(z.number()).nullable().optional(),
      tpotMs: z.array(z.number()).nullable().optional(),
    })
    .optional(),
  /** Per complete stream: inter-token latency (mean gap between content events), time per output token, output tokens/s. */
  itlMs: Percentiles.nullable().optional(),
  tpotMs: Percentiles.nullable().optional(),
  outputTokensPerSec: Percentiles.nullable().optional(),
  /** Output tokens of every stream (sent or estimated), and how many streams' counts were estimated. */
  outputTokens: z.object({ total: z.number(), estimatedStreams: z.number().int() }).optional(),
  /** Gaps between events, bucketed on shared log-scale edges, for the reports' histogram. */
  gapHistogram: Histogram.nullable().optional(),
  /** Responses by status class (request and flow scenarios; streams too). */
  statusClasses: z.object({ '2xx': z.number().int(), '3xx': z.number().int(), '4xx': z.number().int(), '5xx': z.number().int() }).optional(),
  /** Request and flow scenarios: 2xx answers that were SSE streams (text/event-stream), read as whole responses (absent when none). */
  streamsReadWhole: z.number().int().optional(),
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



// ---------------------------------------------------------------------------------------------
// Sections filled by later steps of the pipeline. Each is optional in run.json: a run without a
// policy has no verdict, a stream-only run has no contracts. Defined here so every reader
// (gates, reporters, trend) shares one shape.

/** One gate's evaluation (see harness/gates/). */
export const GateResult = z.object({
  /** Stable id: policy gate name or `metric@scenario`. */
  id: z.string(),
  /** The gate as written, e.g. "p95 completion <= 1.20x baseline". */
  description: z.string(),
  metric: z.string(),
  scenario: z.string().nullable(),
  /** delta: candidate − baseline in the metric's unit (ms); delta_pp: the same for rates, in percentage points. */
  comparison: z.enum(['absolute', 'ratio', 'delta', 'delta_pp']),
  severity: z.enum(['fail', 'warn']),
  /**
   * `unjudged`: a guard that decides on evidence only (the implicit per-scenario and per-step
   * `failed-requests@…`) found no evidence that its scope fails and had too little to show that it
   * passes: neither a pass nor a reason to hold the verdict back (the run-wide guard counts its pairs).
   */
  status: z.enum(['pass', 'fail', 'inconclusive', 'unjudged']),
  observed: z.object({ baseline: z.number().nullable(), candidate: z.number().nullable() }),
  /** The compared quantity: the candidate value (absolute), candidate/baseline (ratio), or candidate − baseline in pp (delta_pp). */
  value: z.number().nullable(),
  limit: z.number(),
  /** Signed distance from value to limit in the gate's unit; positive = inside the limit. */
  margin: z.number().nullable(),
  /** Confidence interval of `value`, when the gate is judged statistically. */
  interval: z.object({ low: z.number(), high: z.number(), level: z.number(), method: z.string() }).nullable(),
  samples: z.object({ baseline: z.number().int(), candidate: z.number().int(), min: z.number().int() }),
  reason: z.string(),
  /** Unit of value/limit/margin/interval: ms, rate (a fraction), pp, ratio, count, chars/s. */
  unit: z.string().optional(),
  route: z.string().nullable().optional(),
  /** A flow step the gate is scoped to. */
  step: z.string().nullable().optional(),
  /** A ratio gate's floor ("or <= baseline + 50ms"): the delta judged alongside; either passing passes the gate. */
  floor: z
    .object({
      value: z.number().nullable(),
      limit: z.number(),
      margin: z.number().nullable(),
      interval: z.object({ low: z.number(), high: z.number(), level: z.number(), method: z.string() }).nullable(),
      status: z.enum(['pass', 'fail', 'inconclusive']),
      unit: z.string(),
    })
    .optional(),
  /** The runbook line the gate encodes. */
  source: z.string().optional(),
});
export type GateResult = z.infer<typeof GateResult>;

export const Verdict = z.object({
  status: z.enum(['pass', 'fail', 'inconclusive']),
  policy: z.string(),
  gates: z.array(GateResult),
  /** One line per reason the verdict is what it is (failed gates, missing data, incomplete run). */
  reasons: z.array(z.string()),
  evaluatedAt: z.string(),
});
export type Verdict = z.infer<typeof Verdict>;

/** One promote/rollback hook firing (see harness/hooks/). */
export const HookResult = z.object({
  on: z.enum(['pass', 'fail', 'inconclusive']),
  kind: z.enum(['exec', 'webhook']),
  /** argv[0] or the webhook URL (credentials stripped). */
  target: z.string(),
  ok: z.boolean(),
  dryRun: z.boolean(),
  exitCode: z.number().int().nullable(),
  httpStatus: z.number().int().nullable(),
  attempts: z.number().int(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  error: z.string().optional(),
});
export type HookResult = z.infer<typeof HookResult>;

/** One difference between baseline and candidate responses (see harness/contracts/). */
export const Difference = z.object({
  pointer: z.string(),
  kind: z.enum(['missing', 'extra', 'type', 'value', 'status', 'header', 'array_length', 'header_missing', 'header_extra']),
  baseline: z.unknown().optional(),
  candidate: z.unknown().optional(),
  /** breaking (missing field, type, status, removed header, ...), additive (extra field or header) or value. */
  class: z.enum(['breaking', 'additive', 'value']).optional(),
});
export type Difference = z.infer<typeof Difference>;

export const ContractStepSummary = z.object({
  scenario: z.string(),
  step: z.string(),
  pairs: z.number().int(),
  identical: z.number().int(),
  drifted: z.number().int(),
  /** Drift by pointer and kind, with counts and one example. */
  drift: z.array(
    z.object({
      /** Array indices collapsed to "*": `/items/*\/id`. */
      pointer: z.string(),
      kind: Difference.shape.kind,
      class: Difference.shape.class,
      /** Pairs that drifted here. */
      count: z.number().int(),
      /** Differences behind this row (one per pair and array index). */
      occurrences: z.number().int().optional(),
      example: Difference,
      /** The first differences at distinct pointers (up to 3). */
      examples: z.array(Difference).optional(),
    }),
  ),
  /** Pairs with at least one drift of each class. */
  classes: z.object({ breaking: z.number().int(), additive: z.number().int(), value: z.number().int() }).optional(),
  /** Flow runs in which this step was never sent (an earlier capture failed). */
  skipped: z.number().int().optional(),
  /** Pairs in which neither target answered (no status on either side): not compared, not in `pairs`. */
  unanswered: z.number().int().optional(),
  /**
   * Compared pairs (in `pairs`) whose baseline failed: no answer, a broken stream, or an HTTP error
   * status the step does not `expect` (both sides 401 to a token neither accepts). Such a pair
   * compares the candidate with a failure, not with the baseline's answer; when they are most of a
   * drift gate's pairs, the gate has no reference (gates/evaluate.ts).
   */
  baselineFailed: z.number().int().optional(),
  /** Pointers that differed between two baseline responses: noise, excluded from drift. */
  noise: z.array(z.object({ pointer: z.string(), count: z.number().int() })),
  assertionFailures: z.object({ baseline: z.number().int(), candidate: z.number().int() }),
  /** The most frequent assertion failure messages, per role, with counts. */
  failures: z.array(z.object({ role: z.enum(['baseline', 'candidate']), message: z.string(), count: z.number().int() })).optional(),
  /** Relative path of the human-readable diff artifact, when the step drifted. */
  artifact: z.string().nullable(),
  /** curl command reproducing the request (secrets redacted). */
  curl: z.string().nullable(),
  /** Under load: the drifting pairs written whole (`diffs/<n>.json`: both requests and responses, a curl per target), first ones up to a bound. */
  diffs: z.array(z.string()).optional(),
  /** Sampled from the paired load (`compare` on a request or flow scenario), not from the contract phase. */
  underLoad: z.boolean().optional(),
  /**
   * Under load with `compare` below "all": the share of the step's pairs diffed. Its counts are over
   * that sample: a drift gate says so, with how much drift such a sample can miss (gates/evaluate.ts).
   */
  share: z.number().min(0).max(1).optional(),
});
export type ContractStepSummary = z.infer<typeof ContractStepSummary>;

/** How far the harness itself could be trusted during the run (see harness/load/). */
export const HarnessHealth = z.object({
  eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).nullable(),
  dispatchLagMs: Percentiles.nullable(),
  /** Non-empty when the harness, not the backends, may have shaped the numbers. Gates read this. */
  warnings: z.array(z.string()),
});
export type HarnessHealth = z.infer<typeof HarnessHealth>;

/** Streams ended per time bucket and target, for the reports' timeline (see metrics/timeline.ts). */
export const Timeline = z.object({
  bucketMs: z.number(),
  /** Epoch ms of the earliest request: the start of bucket 0. Null when nothing was measured. */
  originMs: z.number().nullable(),
  series: z.array(
    z.object({
      target: z.string(),
      role: z.enum(['baseline', 'candidate']),
      completed: z.array(z.number().int()),
      errors: z.array(z.number().int()),
      interruptions: z.array(z.number().int()),
    }),
  ),
  /** Load stages (ramp-up, hold, ...) as ms offsets from originMs, when the load model has stages. */
  stages: z.array(z.object({ name: z.string(), startMs: z.number(), endMs: z.number() })).optional(),
});
export type Timeline = z.infer<typeof Timeline>;

export const RunResult = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('parity'), version: z.string(), node: z.string().optional(), nodeFlags: z.array(z.string()).optional() }),
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
    /** Scheduled iterations not started because `maxInFlight` was reached (arrival-rate models). */
    dropped: z.number().int().optional(),
    /** Iterations started during the warm-up: in `warmup.ndjson`, not in summaries. */
    warmupIterations: z.number().int().optional(),
    /** Worker threads that shared the load. */
    workers: z.number().int().optional(),
  }),
  /** Per scenario, per target role. */
  summaries: z.array(
    z.object({
      scenario: z.string(),
      /** What the scenario's iterations are (reports label a request's numbers as a request's); absent in runs written before it, and in shadow windows. */
      kind: z.enum(['stream', 'request', 'flow']).optional(),
      baseline: TargetSummary,
      candidate: TargetSummary,
    }),
  ),
  /** Request and flow scenarios: per endpoint (scenario, flow step, route template), both targets. */
  endpoints: z.array(z.object({ scenario: z.string(), step: z.string().nullable(), route: z.string(), baseline: TargetSummary, candidate: TargetSummary })).optional(),
  /** Paired samples, one JSON object per line, beside run.json. */
  samples: z.object({ file: z.string(), pairs: z.number().int() }),
  timeline: Timeline.optional(),
  harness: HarnessHealth.optional(),
  /** Problems with what was measured (e.g. a stream profile that read no content): a run with warnings never passes. */
  warnings: z.array(z.string()).optional(),
  contracts: z.array(ContractStepSummary).optional(),
  verdict: Verdict.optional(),
  hooks: z.array(HookResult).optional(),
  /** Server-side series for the load's window (Prometheus, /metrics scrapes, JSON endpoints). */
  serverMetrics: ServerMetricsResult.optional(),
  /** This run is one execution segment of a plan (`parity run --segment K/N`). */
  segment: SegmentRecord.optional(),
  /** This run was merged from execution segments (`parity merge`). */
  segments: MergedSegments.optional(),
  /** A `parity shadow` window: what happened to the live requests besides the compared pairs. */
  shadow: z
    .object({
      mode: z.enum(['inline', 'mirror']),
      window: z.number().int(),
      requests: z.number().int(),
      unmatched: z.number().int(),
      unsafe: z.number().int(),
      sampledOut: z.number().int(),
      dropped: z.number().int(),
      abandoned: z.number().int(),
      rewriteMissed: z.number().int(),
      /** Compared responses that were SSE streams read whole (route kind auto): the window cannot pass. */
      streamsReadWhole: z.number().int().default(0),
      /** Inline: copies without the user's credentials that the candidate refused (401/403) where the baseline answered: not compared; the window cannot pass. */
      refusedUncredentialed: z.number().int().default(0),
      /** Inline: requests whose client went away before the baseline's answer was done: not compared (the baseline was cut by the user, not by a fault). */
      clientClosed: z.number().int().default(0),
      /** Of those, the copies the candidate failed: not compared, so the window cannot pass. */
      clientClosedFailed: z.number().int().default(0),
      /** Requests on compared routes whose body was over shadow.maxCopyBody: never copied; the window cannot pass. */
      tooLarge: z.number().int().default(0),
    })
    .optional(),
  /** A `parity replay`: the capture read, what was scheduled, and what was left out (writes, filters, window, bad entries listed). */
  replay: z
    .object({
      file: z.string(),
      format: z.string(),
      speed: z.union([z.number(), z.literal('max')]),
      loop: z.number().int(),
      read: z.number().int(),
      scheduled: z.number().int(),
      skipped: z.object({ writes: z.number().int(), filtered: z.number().int(), window: z.number().int() }),
      bad: z.number().int(),
      /** Of the bad entries, those read whole but not sendable as written (a header value with a line break, a path with a space, ...): never dispatched. */
      unsendable: z.number().int().optional(),
      badEntries: z.array(z.object({ at: z.string(), reason: z.string() })),
      /** Requests recorded before one read ahead of them (a capture out of time order): sent at once, late. */
      outOfOrder: z.number().int().optional(),
      /** Requests sent without the config's shadow body rewrite (a body not JSON, or without the field), as captured. */
      rewriteMissed: z.number().int().optional(),
      /** Share of entries that may be bad before the run is incomplete (--max-corrupt). */
      maxCorrupt: z.number().optional(),
      /** Largest capture entry read (--max-entry-bytes): a larger one is a bad entry, skipped unread. */
      maxEntryBytes: z.number().int().optional(),
      /** Paced replays: pairs sent, those sent more than toleranceMs after their recorded offsets, the worst lag. */
      pacing: z.object({ toleranceMs: z.number(), sent: z.number().int(), late: z.number().int(), worstMs: z.number() }).optional(),
      /** Endpoints with bad entries whose request was read (not sendable as captured): those bad entries and all the endpoint's entries to replay; past --max-corrupt, the run is incomplete. */
      badEndpoints: z.record(z.string(), z.object({ bad: z.number().int(), entries: z.number().int() })).optional(),
      /** Endpoints counted for badEndpoints (up to 10,000). */
      endpoints: z.number().int().optional(),
      /** Requests read whole (not as streams: no text/event-stream accept, no --stream path) whose baseline answered an SSE stream; their paths (the first 10). A harness warning: no pass. */
      streamsReadWhole: z.number().int().optional(),
      readWholePaths: z.array(z.string()).optional(),
      /** The flags the replay ran with (sources/replay/options.ts): segments of one replay must agree on each, or merge refuses them. */
      options: z
        .object({
          digest: z.string().nullable(),
          include: z.array(z.string()),
          exclude: z.array(z.string()),
          allowWrites: z.boolean(),
          from: z.number().nullable(),
          to: z.number().nullable(),
          rewrite: z.array(z.string()),
          dropHeader: z.array(z.string()),
          stream: z.array(z.string()),
          maxInFlight: z.number().int(),
          compare: z.number(),
          maxEntryBytes: z.number().int(),
        })
        .optional(),
    })
    .optional(),
});
export type RunResult = z.infer<typeof RunResult>;
