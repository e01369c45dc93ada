import autocannon, { type Result as AutocannonResult } from 'autocannon';
import { z } from 'zod';
import type { RawTargetPlan } from './requests.ts';

export const RAW_SCHEMA_VERSION = 1;

const RawTarget = z.object({
  name: z.string(),
  role: z.enum(['baseline', 'candidate']),
  url: z.string(),
  /** Responses received (any status). */
  requests: z.number(),
  sent: z.number(),
  requestsPerSec: z.number(),
  /**
   * 2xx responses per second: what the target served. An error answer is cheap (a 503 shed under
   * load comes back faster than a real answer), so requests/s alone makes a failing target look
   * faster; capacity is compared on this. Absent in raw.json written before it was added.
   */
  okPerSec: z.number().optional(),
  /** Send to whole response read, as autocannon measures it (ms). */
  latencyMs: z.object({ mean: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() }),
  /** Connection errors and timeouts (no response at all; autocannon counts its timeouts here too). */
  errors: z.number(),
  timeouts: z.number(),
  non2xx: z.number(),
  status: z.object({ '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() }),
  bytesPerSec: z.number(),
  durationSec: z.number(),
});
export type RawTarget = z.infer<typeof RawTarget>;

/** raw.json: what `parity raw` measured. */
export const RawResult = z.object({
  schemaVersion: z.literal(RAW_SCHEMA_VERSION),
  mode: z.literal('raw'),
  runId: z.string(),
  configFile: z.string(),
  startedAt: z.string(),
  /** Both targets loaded at the same time (default), or one after the other. */
  concurrent: z.boolean(),
  connections: z.number(),
  durationSec: z.number(),
  /** False when the run was interrupted: the figures cover part of the duration. */
  complete: z.boolean(),
  targets: z.tuple([RawTarget, RawTarget]),
  /** Candidate ÷ baseline. */
  ratios: z.object({ requestsPerSec: z.number().nullable(), okPerSec: z.number().nullable().optional(), latencyP99: z.number().nullable(), latencyP50: z.number().nullable() }),
});
export type RawResult = z.infer<typeof RawResult>;

export interface RawOptions {
  connections: number;
  durationSec: number;
  /** Per-request timeout (s): a response slower than this counts as a timeout. */
  timeoutSec: number;
  /** Load the targets one after the other instead of at the same time. */
  sequential?: boolean;
  signal?: AbortSignal;
}

/**
 * Raw-throughput mode: autocannon against each target with the same requests and settings, both
 * at the same time by default (same moment, as parity's paired runs; `sequential` when the two
 * share a host and must not compete). No stream parsing, no per-request samples: requests/s and
 * latency to the whole response, for capacity questions ("does the candidate take the baseline's
 * peak?"). autocannon does the sending, so this mode is as fast as autocannon itself.
 */
export async function runRaw(plans: [RawTargetPlan, RawTargetPlan], opts: RawOptions): Promise<{ targets: [RawTarget, RawTarget]; complete: boolean }> {
  const one = (p: RawTargetPlan) =>
    new Promise<RawTarget>((resolve, reject) => {
      const instance = autocannon(
        { url: p.url, requests: p.requests, connections: opts.connections, duration: opts.durationSec, timeout: opts.timeoutSec },
        (err: Error | null, r: AutocannonResult) => (err ? reject(err) : resolve(summarize(p, r))),
      );
      opts.signal?.addEventListener('abort', () => instance.stop(), { once: true });
    });
  const targets = opts.sequential ? [await one(plans[0]), await one(plans[1])] : await Promise.all(plans.map(one));
  return { targets: targets as [RawTarget, RawTarget], complete: !opts.signal?.aborted };
}

function summarize(p: RawTargetPlan, r: AutocannonResult): RawTarget {
  const secs = r.duration || 1;
  return {
    name: p.name,
    role: p.role,
    url: p.url,
    requests: r.requests.total,
    sent: r.requests.sent,
    requestsPerSec: r.requests.total / secs,
    okPerSec: r['2xx'] / secs,
    latencyMs: { mean: r.latency.mean, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    status: { '2xx': r['2xx'], '3xx': r['3xx'], '4xx': r['4xx'], '5xx': r['5xx'] },
    bytesPerSec: r.throughput.total / secs,
    durationSec: secs,
  };
}

/** candidate ÷ baseline, or null when the baseline figure is 0. */
export function rawRatios([b, c]: [RawTarget, RawTarget]): RawResult['ratios'] {
  const ratio = (x: number, y: number) => (y > 0 ? x / y : null);
  return { requestsPerSec: ratio(c.requestsPerSec, b.requestsPerSec), okPerSec: ratio(c.okPerSec ?? 0, b.okPerSec ?? 0), latencyP99: ratio(c.latencyMs.p99, b.latencyMs.p99), latencyP50: ratio(c.latencyMs.p50, b.latencyMs.p50) };
}
