import { z } from 'zod';
import { Hooks } from '../hooks/schema.ts';

/**
 * A gate policy, as written (YAML, JSON, or TypeScript through `definePolicy`). `load.ts` turns it
 * into a `LoadedPolicy`: metrics looked up, thresholds parsed, `extends` merged, hooks resolved.
 */
export const GateSpec = z
  .strictObject({
    /** Stable id in the verdict; default `metric` (plus `@scenario` / `@route:<route>`). */
    name: z.string().min(1).optional(),
    /** A registered metric name, e.g. "completion.p95", "interruption_rate", "contract_drift". */
    metric: z.string().min(1),
    /** e.g. "<= 1.20x baseline", "<= 1%", "<= +0.5pp", "<= 1.20x baseline or <= baseline + 50ms". */
    threshold: z.string().min(1),
    /** Only this scenario's samples (default: all scenarios together). */
    scenario: z.string().min(1).optional(),
    /** Only the scenarios on this logical route, or the requests to this endpoint ("POST /api/lots", a route template of a request or flow scenario). */
    route: z.string().min(1).optional(),
    /** With `scenario` (a flow): only this step's requests. */
    step: z.string().min(1).optional(),
    /** Fewer samples than this on a compared side: never pass. Default: the policy's. */
    minSamples: z.number().int().min(1).optional(),
    /** `warn`: reported, but does not decide the verdict. */
    severity: z.enum(['fail', 'warn']).default('fail'),
    /** What too few samples or no data make of this gate. Default: the policy's. */
    insufficient: z.enum(['inconclusive', 'fail']).optional(),
    /** The runbook line this gate encodes (shown in reports). */
    source: z.string().optional(),
  })
  .refine((g) => g.scenario === undefined || g.route === undefined, { message: 'give "scenario" or "route", not both', path: ['route'] })
  .refine((g) => g.step === undefined || g.scenario !== undefined, { message: '"step" needs "scenario": the flow the step belongs to', path: ['step'] });
export type GateInput = z.input<typeof GateSpec>;

export const PolicySpec = z.strictObject({
  /** Default: the file's base name. */
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** A preset name or a policy file (relative to this one) whose gates come first; its defaults apply unless set here. */
  extends: z.string().min(1).optional(),
  /** Two-sided confidence level of every interval (default 0.90: each pass or fail call is a one-sided 95% statement). */
  confidence: z.number().gt(0.5).lt(1).optional(),
  /** Default minimum samples per compared side (default 100). */
  minSamples: z.number().int().min(1).optional(),
  /** Default for gates with too few samples or no data, and for incomplete runs and harness warnings (default inconclusive). */
  insufficient: z.enum(['inconclusive', 'fail']).optional(),
  bootstrap: z
    .strictObject({
      resamples: z.number().int().min(200).max(100_000).optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
  /** Per-request SLOs the `goodput` metric counts, e.g. "ttft <= 500ms and tpot <= 50ms" (inherited through `extends`). */
  slo: z.string().min(1).optional(),
  gates: z.array(GateSpec).default([]),
  /**
   * Margin of the implicit failed-requests guard (guard.ts): candidate − baseline error rate, e.g.
   * "<= +2pp". Default "<= +0.5pp"; it can be changed, never removed.
   */
  failedRequests: z.string().min(1).optional(),
  hooks: Hooks.optional(),
});
export type PolicyInput = z.input<typeof PolicySpec>;
export type PolicyParsed = z.output<typeof PolicySpec>;

export const POLICY_DEFAULTS = { confidence: 0.9, minSamples: 100, insufficient: 'inconclusive', resamples: 2000, seed: 1 } as const;

/** Identity function that exists for types: `export default definePolicy({ gates: [...] })`. */
export function definePolicy(policy: PolicyInput): PolicyInput {
  return policy;
}
