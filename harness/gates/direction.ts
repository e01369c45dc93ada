import type { Metric } from './metrics.ts';
import { upper, type Op, type Threshold } from './threshold.ts';

/**
 * Which way each wire metric gets worse, so a gate that bounds only its good side is caught when
 * the policy loads. Runbooks write "citation presence delta <= -2 percentage points" (seed 000,
 * Stage B) and mean "may drop by at most 2pp"; as a gate, `citation_presence <= -2pp` passes only a
 * candidate that LOST at least 2pp of citations, and fails one that kept them. The same slip on a
 * speed (`content_chars_per_sec.p50 <= 0.9x baseline`), a latency (`completion.p95 >= 1.2x
 * baseline`) or an error rate (`error_rate >= 1%`) turns the gate inside out: the bad candidate
 * passes it. Such a gate is a config error naming the operator it needs.
 *
 * Server-side series (`server.*`) are in their source's units and meaning (a hit ratio, a queue
 * length): no direction is assumed for them.
 */
export type Better = 'lower' | 'higher';

const HIGHER: readonly string[] = ['content_chars_per_sec', 'output_tokens_per_sec', 'content_chars', 'output_tokens', 'goodput', 'citation_presence', 'capacity'];
const LOWER: readonly string[] = [
  'headers', 'first_event', 'first_content', 'completion', 'itl', 'tpot', 'latency', 'ttfb',
  'error_rate', 'http_5xx_rate', 'status_5xx_rate', 'status_3xx_rate', 'status_4xx_rate', 'interruption_rate', 'error_count', 'http_5xx_count',
  'interruption_count', 'contract_drift', 'assertion_failures', 'dropped_iterations',
];

/** Which way the metric is better, or null when it has no known direction (server-side series). */
export function betterWhen(metric: Metric): Better | null {
  if (metric.kind === 'server') return null;
  // `completion.p95` → completion, `interruption_rate.reset` → interruption_rate.
  const f = metric.name.split('.')[0]!;
  return HIGHER.includes(f) ? 'higher' : LOWER.includes(f) ? 'lower' : null;
}

const flip = (op: Op): Op => ({ '<=': '>=', '<': '>', '>=': '<=', '>': '<' })[op] as Op;

/**
 * Why this threshold bounds the metric on its good side only (so a worse candidate passes it), with
 * the fix, or null when it bounds the bad side as a gate should.
 */
export function backwardsThreshold(metric: Metric, threshold: Threshold, text: string): string | null {
  const better = betterWhen(metric);
  if (better === null) return null;
  // A gate must stop the candidate getting worse: an upper bound on a lower-is-better metric, a lower bound on a higher-is-better one.
  if (upper(threshold.op) === (better === 'lower')) return null;
  const fixed = text.trim().replace(/(<=|>=|<|>|≤|≥)/g, (op) => flip(op === '≤' ? '<=' : op === '≥' ? '>=' : (op as Op)));
  const worse = better === 'lower' ? 'higher' : 'lower';
  return (
    `"${metric.name}" is better when ${better}, so "${text.trim()}" bounds only its good side: a candidate with a ${worse} value passes it and a better one fails. ` +
    `Write the limit the candidate must not cross, e.g. "${fixed}"` +
    (metric.kind === 'rate' && threshold.comparison === 'delta' ? ` (a runbook's "delta <= -2 percentage points" for a rate that must not drop is ">= -2pp" here)` : '')
  );
}
