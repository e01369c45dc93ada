import { z } from 'zod';

/**
 * run.json sections of execution segments (see harness/load/segment.ts): `segment` in the run of
 * one segment, `segments` in the run `parity merge` makes of N of them. Kept apart from result.ts
 * so the run schema only gains two optional fields.
 */

const Health = z.object({
  eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).nullable(),
  dispatchLagMs: z.object({ count: z.number().int(), p50: z.number(), p99: z.number(), max: z.number() }).passthrough().nullable(),
  warnings: z.array(z.string()),
});

export const SegmentRecord = z.object({
  /** K, from 1. */
  index: z.number().int().min(1),
  /** N. */
  count: z.number().int().min(1),
  /** Where K came from: `--segment` or the environment variable read by `--segment auto`. */
  source: z.string(),
  /** The start signal (`--start-at`), ISO; null when the segment started on its own. */
  startAt: z.string().nullable(),
  /** When this segment's schedule started, by this machine's wall clock. */
  scheduleStartedAt: z.string(),
  /** Schedule start − start signal, by this machine's clock: > 0 when the segment started late (its early starts then fire late, as dispatch lag). */
  startOffsetMs: z.number(),
  /** How far the wall clock moved against the monotonic clock during the run (an NTP step or slew); null until the run ends. */
  wallClockDriftMs: z.number().nullable(),
  /** Iterations of the whole plan (all segments), when the model fixes them. */
  plannedIterations: z.number().int().nullable(),
  /** sha256 of the prompt sets the plan reads (the config echo holds only their paths). */
  prompts: z.string(),
  host: z.string(),
  /**
   * sha256 of the files this segment left beside its run.json, recorded when it ended (absent
   * before, and from a parity that did not record them): `parity merge` checks that the files in
   * the folder are this segment's own. `samples` is null when it left no samples file, absent when
   * they were not final at its end (a harness error left a spool).
   */
  files: z.object({ state: z.string(), samples: z.string().nullable().optional() }).optional(),
});
export type SegmentRecord = z.infer<typeof SegmentRecord>;

export const MergedSegment = SegmentRecord.extend({
  /** The segment's run folder, as given to `parity merge`. */
  dir: z.string(),
  complete: z.boolean(),
  incompleteReason: z.string().optional(),
  iterations: z.number().int(),
  pairs: z.number().int(),
  /** The segment's own harness health, kept as it measured it. */
  harness: Health.nullable(),
});
export type MergedSegment = z.infer<typeof MergedSegment>;

export const MergedSegments = z.object({
  count: z.number().int(),
  /** Segments 1..N that were not given to the merge. */
  missing: z.array(z.number().int()),
  /** Latest − earliest schedule start across the segments (each by its own clock, against its start signal). */
  skewMs: z.number().nullable(),
  /** Above this, the merge adds a harness warning (gates go inconclusive). */
  maxSkewMs: z.number(),
  segments: z.array(MergedSegment),
});
export type MergedSegments = z.infer<typeof MergedSegments>;
