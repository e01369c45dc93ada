import { z } from 'zod';
import { durationField } from './duration.ts';

/**
 * `shadow`: how `parity shadow` treats live traffic (see harness/sources/shadow/). Which logical
 * routes are compared, what may be copied to the candidate (write safety), how the copy is
 * rewritten, how many copies may be in flight, and how windows are judged into a rollout decision.
 */

const Duration = durationField('expected a duration like "500ms", "2s", "5m" or a number of milliseconds');

/**
 * A rollout's time scale (window length, minimum soak): written with its unit. A bare number counts
 * milliseconds elsewhere in a config, and here that reading promotes early: `minSoak: 86400` (a day
 * in seconds) is 86.4 s of soak before onPass. Refused, naming the reading and the fix; 0 stays 0.
 */
const RolloutDuration = durationField('expected a duration like "5m", "1h", "24h" (one unit: "90m", not "1h30m")', (n) =>
  n !== 0 ? `give a unit: a bare number counts milliseconds, so ${n} is ${n >= 1000 ? `${n / 1000} s` : `${n} ms`}; write e.g. "24h", "30m" or "${n}ms" if that is meant` : undefined,
);

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)');

/** A rewrite of the candidate's copy: a JSON body field (pointer) or a header gets a prefix. */
export const ShadowRewrite = z
  .strictObject({
    /** JSON pointer into a JSON request body, e.g. "/session_id". */
    body: z.string().regex(/^(\/[^/]*)+$/, 'expected a JSON pointer like "/session_id"').optional(),
    header: HeaderName.optional(),
    prefix: z.string().min(1),
  })
  .refine((r) => (r.body === undefined) !== (r.header === undefined), { message: 'give exactly one of "body" (a JSON pointer) or "header"' });

export const ShadowRoute = z.strictObject({
  /** Copy requests of this route although its method is not GET/HEAD (the chat stream POST): opt-in, per route. */
  allowWrites: z.boolean().default(false),
  /**
   * How a response is read: `stream` (SSE, the stream probe), `request` (a whole response, the
   * request probe), or `auto`: a stream when a stream scenario of the config uses the route or the
   * request accepts text/event-stream, a whole response otherwise.
   */
  kind: z.enum(['auto', 'stream', 'request']).default('auto'),
});

export const Shadow = z.strictObject({
  /** Logical routes compared (keys of targets[].routes); default: every route both targets map. */
  routes: z.record(z.string().min(1), ShadowRoute).optional(),
  /** Percent of matching requests copied (0–100). */
  sample: z.number().min(0).max(100).default(100),
  /** Request headers never copied to the candidate (nor, in mirror mode, to the baseline). */
  dropHeaders: z.array(HeaderName).default(['cookie', 'authorization', 'proxy-authorization']),
  /** Headers from dropHeaders that are copied after all. */
  allowHeaders: z.array(HeaderName).default([]),
  /**
   * Request bodies up to this many bytes are copied; a bigger one is not (inline it still goes to
   * the baseline), is counted (`tooLarge`) and keeps its window from passing: its route was not
   * compared on it.
   */
  maxCopyBody: z.number().int().min(0).max(256 * 1024 * 1024).default(1024 * 1024),
  /** Rewrites of the candidate's copy, so its stores never mix with real ones. */
  rewrite: z.array(ShadowRewrite).default([]),
  candidate: z
    .strictObject({
      /** Copies in flight to the candidate at most. */
      concurrency: z.number().int().min(1).max(10_000).default(50),
      /** Copies waiting for a slot at most; beyond it a copy is dropped and counted. */
      queue: z.number().int().min(0).max(100_000).default(100),
    })
    .default({ concurrency: 50, queue: 100 }),
  /** Tumbling window length: each window is a run judged by the policy. */
  window: RolloutDuration.default(300_000),
  /** Roll back after this many consecutive failing windows. */
  failureLimit: z.number().int().min(1).default(2),
  /** Promote after this many consecutive passing windows ... */
  passWindows: z.number().int().min(1).default(3),
  /** ... and not before this much shadowing (e.g. "24h"). */
  minSoak: RolloutDuration.default(0),
  /** How often the current window is judged so far, to end it early when it already fails. 0: never. */
  abortCheck: Duration.default(10_000),
});
export type ShadowInput = z.input<typeof Shadow>;
export type ShadowConfig = z.output<typeof Shadow>;
