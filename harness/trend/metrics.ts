import type { TargetSummary } from '../run/result.ts';

/** A metric the nightly trend tracks per scenario and target role. */
export interface TrendMetric {
  key: string;
  label: string;
  /** 'ms' compares relative to the history's median; 'rate' compares in percentage points. */
  unit: 'ms' | 'rate';
  /** Which direction is a regression. */
  worse: 'higher' | 'lower';
  value(s: TargetSummary): number | null;
  /** The sample count behind a rate (its binomial noise shrinks with it). */
  n?(s: TargetSummary): number;
}

export const TREND_METRICS: readonly TrendMetric[] = [
  { key: 'firstContentP50', label: 'first content p50', unit: 'ms', worse: 'higher', value: (s) => s.firstContentMs?.p50 ?? null },
  { key: 'firstContentP95', label: 'first content p95', unit: 'ms', worse: 'higher', value: (s) => s.firstContentMs?.p95 ?? null },
  { key: 'completionP50', label: 'completion p50', unit: 'ms', worse: 'higher', value: (s) => s.completionMs?.p50 ?? null },
  { key: 'completionP95', label: 'completion p95', unit: 'ms', worse: 'higher', value: (s) => s.completionMs?.p95 ?? null },
  { key: 'gapP99', label: 'gap between events p99', unit: 'ms', worse: 'higher', value: (s) => s.gapMs?.p99 ?? null },
  { key: 'errorRate', label: 'error rate', unit: 'rate', worse: 'higher', value: (s) => s.errorRate, n: (s) => s.count },
  { key: 'interruptionRate', label: 'interruption rate', unit: 'rate', worse: 'higher', value: (s) => s.interruptionRate, n: (s) => s.streamsWithHeaders },
  { key: 'citationPresence', label: 'citation presence', unit: 'rate', worse: 'lower', value: (s) => s.citations.presenceRate, n: (s) => s.citations.expected },
];
