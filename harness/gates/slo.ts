import { isSuccess } from '../metrics/sample.ts';
import type { GateSample, RateMetric } from './metrics.ts';
import { streamValue, VALUE_BASES } from './metrics.ts';
import { upper, type Op } from './threshold.ts';

/**
 * Per-request SLOs for goodput, as a policy writes them: `ttft <= 500ms and tpot <= 50ms`.
 * Each condition names a per-stream value (the same values the gates read: latencies from the
 * intended start, ITL/TPOT and tokens/s of completed streams), an operator and a limit. A stream
 * meets the SLO only if it completed (a request: answered, `ok`) and every condition holds; one
 * without a value for a condition (no content, not completed) does not meet it. So a failed stream
 * or request never counts as good.
 */
export interface SloCheck {
  name: string;
  op: Op;
  limit: number;
  read(s: GateSample): number | undefined;
}

export class SloError extends Error {}

/** Short names used by LLM serving tools, beside the gate metric bases. */
const ALIASES: Record<string, string> = { ttft: 'first_content', e2e: 'completion', tps: 'output_tokens_per_sec' };
const COND = /^([a-z_][a-z0-9_]*)\s*(<=|>=|<|>|≤|≥)\s*(\d+(?:\.\d+)?)\s*(ms|s)?$/i;

export function parseSlo(text: string): SloCheck[] {
  const parts = text.trim().split(/\s+and\s+/i);
  const names = [...Object.keys(ALIASES), ...VALUE_BASES].join(', ');
  return parts.map((part) => {
    const m = COND.exec(part.trim());
    if (!m) throw new SloError(`cannot read the SLO condition "${part}"; write e.g. "ttft <= 500ms and tpot <= 50ms" (values: ${names})`);
    const name = m[1]!.toLowerCase();
    const base = ALIASES[name] ?? name;
    const read = streamValue(base);
    if (!read) throw new SloError(`unknown SLO value "${m[1]}"; use one of ${names}`);
    const perSec = base.endsWith('_per_sec');
    const unit = m[4]?.toLowerCase();
    if (perSec && unit) throw new SloError(`"${m[1]}" is a rate per second; write a plain number, e.g. "${m[1]} >= 20"`);
    if (!perSec && !unit) throw new SloError(`"${m[1]}" is in milliseconds; give the unit, e.g. "${m[1]} ${m[2]} ${m[3]}ms"`);
    const op = (m[2] === '≤' ? '<=' : m[2] === '≥' ? '>=' : m[2]) as Op;
    // A time must stay under its limit, a rate per second over it: "ttft >= 500ms" would count the slow streams as good.
    if (upper(op) === perSec) throw new SloError(`"${part.trim()}" counts a stream as good when it is ${perSec ? 'slower' : 'later'} than the limit; write "${m[1]} ${perSec ? '>=' : '<='} ${m[3]}${m[4] ?? ''}"`);
    return { name, op, limit: Number(m[3]) * (unit === 's' ? 1000 : 1), read };
  });
}

function holds(op: Op, v: number, limit: number): boolean {
  return upper(op) ? (op === '<=' ? v <= limit : v < limit) : op === '>=' ? v >= limit : v > limit;
}

/** Whether one stream or request meets every SLO condition (completed or answered, and each value within its limit). */
export function meetsSlo(checks: readonly SloCheck[], s: GateSample): boolean {
  if (!isSuccess(s.outcome)) return false;
  for (const c of checks) {
    const v = c.read(s);
    if (v === undefined || !holds(c.op, v, c.limit)) return false;
  }
  return true;
}

/** The `goodput` rate metric bound to a policy's SLO text. */
export function goodputMetric(base: RateMetric, slo: string): RateMetric {
  const checks = parseSlo(slo);
  return { ...base, read: (s) => ({ counted: true, event: meetsSlo(checks, s) }), describe: `streams meeting "${slo}" / streams` };
}
