import type { Comparison, Metric } from './metrics.ts';

/**
 * Threshold strings, as the runbooks write them:
 *
 *   <= 1500ms   < 1.5s   >= 95%   <= 0.3%   <= 0        absolute
 *   <= 1.20x baseline    <= 1.2 × baseline              ratio to the baseline
 *   <= 1.20x baseline or <= baseline + 50ms            ratio with an absolute floor (either holds)
 *   <= +0.5pp   >= -2pp   <= baseline + 100ms          delta to the baseline
 *
 * Operators: <=, <, >=, > (and ≤, ≥). Values are stored in the metric's base unit: milliseconds,
 * a fraction for rates (1% = 0.01, 0.5pp = 0.005), a plain number for counts and chars/s.
 */
export type Op = '<=' | '<' | '>=' | '>';

export interface Threshold {
  text: string;
  op: Op;
  comparison: Comparison;
  /** absolute/delta: base units; ratio: the factor. */
  limit: number;
  /** A ratio gate's alternative: candidate − baseline within this delta also passes. */
  floor?: { op: Op; limit: number };
}

type Quantity = { value: number; unit: 'ms' | '%' | 'pp' | '' };

export class ThresholdError extends Error {}

const OP = String.raw`(<=|>=|<|>|≤|≥)`;
const NUM = String.raw`([+-]?\d+(?:\.\d+)?)`;
const UNIT = String.raw`(ms|s|m|%|pp)?`;
const ABS = new RegExp(String.raw`^${OP}\s*${NUM}\s*${UNIT}$`);
const RATIO = new RegExp(String.raw`^${OP}\s*${NUM}\s*(?:x|×|\*)\s*baseline$`, 'i');
const DELTA = new RegExp(String.raw`^${OP}\s*baseline\s*([+-])\s*(\d+(?:\.\d+)?)\s*${UNIT}$`, 'i');

const SYNTAX = 'write e.g. "<= 1500ms", "<= 1%", "<= 1.20x baseline", "<= 1.20x baseline or <= baseline + 50ms", "<= +0.5pp" or "<= baseline + 100ms"';

function normOp(op: string): Op {
  return op === '≤' ? '<=' : op === '≥' ? '>=' : (op as Op);
}

function quantity(value: string, unit: string | undefined): Quantity {
  const v = Number(value);
  switch (unit) {
    case 's':
      return { value: v * 1000, unit: 'ms' };
    case 'm':
      // "500m" is 500 minutes (8 h), a limit nothing reaches: almost surely "500ms" mistyped, and it passed every candidate.
      if (v >= 60) throw new ThresholdError(`"${value}m" reads as ${value} minutes (${(v / 60).toFixed(1)} h), a limit no latency reaches; for milliseconds write "${value}ms", for seconds "${value}s" (an hour or more is no latency limit)`);
      return { value: v * 60_000, unit: 'ms' };
    case 'ms':
    case '%':
    case 'pp':
      return { value: v, unit };
    default:
      return { value: v, unit: '' };
  }
}

/** Parses the syntax only; `forMetric` checks the units fit the metric. */
export function parseThreshold(text: string): { op: Op; kind: Comparison; q: Quantity; floor?: { op: Op; q: Quantity } } {
  const t = text.trim().replace(/\s+/g, ' ');
  const [main, floorText, ...more] = t.split(/\s+or\s+/i);
  if (!main || more.length) throw new ThresholdError(`cannot read threshold "${text}"; ${SYNTAX}`);
  let m = RATIO.exec(main);
  if (m) {
    const op = normOp(m[1]!);
    const factor = Number(m[2]);
    if (!(factor > 0)) throw new ThresholdError(`a ratio must be positive, got ${m[2]}x`);
    let floor: { op: Op; q: Quantity } | undefined;
    if (floorText !== undefined) {
      const f = DELTA.exec(floorText);
      if (!f) throw new ThresholdError(`cannot read the floor "${floorText}"; write it as "<= baseline + 50ms" (or "+ 0.1pp" for rates)`);
      const fop = normOp(f[1]!);
      if (upper(fop) !== upper(op)) throw new ThresholdError(`the floor "${floorText}" bounds the other side than "${main}"; use ${upper(op) ? '<= or <' : '>= or >'} in both`);
      const q = quantity(f[3]!, f[4]);
      floor = { op: fop, q: { ...q, value: f[2] === '-' ? -q.value : q.value } };
    }
    return floor ? { op, kind: 'ratio', q: { value: factor, unit: '' }, floor } : { op, kind: 'ratio', q: { value: factor, unit: '' } };
  }
  if (floorText !== undefined) throw new ThresholdError(`"or" only follows a ratio, as in "<= 1.20x baseline or <= baseline + 50ms"`);
  m = DELTA.exec(main);
  if (m) {
    const q = quantity(m[3]!, m[4]);
    return { op: normOp(m[1]!), kind: 'delta', q: { ...q, value: m[2] === '-' ? -q.value : q.value } };
  }
  m = ABS.exec(main);
  if (m) {
    const q = quantity(m[2]!, m[3]);
    // "+0.5pp" is a delta to the baseline; "0.5pp" on its own reads the same.
    if (q.unit === 'pp') return { op: normOp(m[1]!), kind: 'delta', q };
    // "+1%" is a rate's change: percentage points. The delta form "baseline + 1%" is refused for every metric, so it is not suggested.
    if (/^[+-]/.test(m[2]!) && q.unit === '%') throw new ThresholdError(`"${main}": a signed value is a delta; a rate's change to the baseline is in percentage points: write "${m[1]} ${m[2]}pp"`);
    if (/^[+-]/.test(m[2]!) && q.unit !== '') throw new ThresholdError(`"${main}": a signed value is a delta; write "${m[1]} baseline ${m[2]!.slice(0, 1)} ${m[2]!.slice(1)}${m[3] ?? ''}" or "${m[2]}pp" for rates`);
    return { op: normOp(m[1]!), kind: 'absolute', q };
  }
  throw new ThresholdError(`cannot read threshold "${text}"; ${SYNTAX}`);
}

export function upper(op: Op): boolean {
  return op === '<=' || op === '<';
}

/** Parses a threshold and checks it fits the metric's unit and comparisons. */
export function thresholdFor(text: string, metric: Metric): Threshold {
  const p = parseThreshold(text);
  if (!metric.comparisons.includes(p.kind)) {
    const noBaseline = metric.kind === 'count' && (metric.name === 'contract_drift' || metric.name === 'dropped_iterations');
    throw new ThresholdError(
      noBaseline
        ? `"${metric.name}" has no baseline value to compare with, so a ${p.kind} threshold cannot be evaluated; use an absolute threshold such as "<= 0"`
        : `"${metric.name}" is an exact count and takes absolute thresholds only (such as "<= 0"); for a comparison with the baseline use a rate metric`,
    );
  }
  const t: Threshold = { text, op: p.op, comparison: p.kind, limit: p.kind === 'ratio' ? p.q.value : toBase(p.q, metric, p.kind) };
  if (p.floor) t.floor = { op: p.floor.op, limit: toBase(p.floor.q, metric, 'delta') };
  return t;
}

function toBase(q: Quantity, metric: Metric, kind: Comparison): number {
  const name = `"${metric.name}"`;
  switch (metric.unit) {
    case 'ms':
      if (q.unit !== 'ms') throw new ThresholdError(`${name} is in milliseconds; write the value with a unit, e.g. "1500ms" or "1.5s"`);
      return q.value;
    case 'rate':
      if (kind === 'delta') {
        if (q.unit !== 'pp') throw new ThresholdError(`${name} is a rate; write a change as percentage points, e.g. "+0.5pp" (not %, which could mean relative)`);
        return q.value / 100;
      }
      if (q.unit !== '%') throw new ThresholdError(`${name} is a rate; write the limit as a percentage, e.g. "1%"`);
      if (q.value < 0 || q.value > 100) throw new ThresholdError(`${name}: a rate limit lies within 0%..100%, got ${q.value}%`);
      return q.value / 100;
    case 'count':
      if (q.unit !== '' || !Number.isInteger(q.value)) throw new ThresholdError(`${name} is a count; write a whole number without a unit, e.g. "<= 0"`);
      return q.value;
    case 'chars/s':
      if (q.unit !== '') throw new ThresholdError(`${name} is in characters per second; write a plain number, e.g. ">= 200"`);
      return q.value;
    case 'value':
      // Server-side series are in their source's units: plain numbers; "%" and "pp" for fractions (1% = 0.01).
      if (q.unit === 'ms') throw new ThresholdError(`${name} is in the source's own units; write a plain number (seconds as the server reports them, e.g. "<= 0.5"), not ms`);
      return q.unit === '%' || q.unit === 'pp' ? q.value / 100 : q.value;
    case 'per_s':
      if (q.unit !== '' || !(q.value >= 0)) throw new ThresholdError(`${name} is an arrival rate per time unit; write a plain number, e.g. ">= 40", or a ratio, ">= 1.0x baseline"`);
      return q.value;
    case 'tokens/s':
      if (q.unit !== '') throw new ThresholdError(`${name} is in tokens per second; write a plain number, e.g. ">= 30"`);
      return q.value;
    case 'chars':
    case 'tokens':
      if (q.unit !== '') throw new ThresholdError(`${name} is a length in ${metric.unit}; write a plain number, e.g. ">= 200", or a ratio, ">= 0.8x baseline"`);
      return q.value;
  }
}
