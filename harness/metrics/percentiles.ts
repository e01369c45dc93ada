import type { Percentiles } from '../run/result.ts';

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Nearest-rank quantile of sorted values: the smallest value with at least q·n values at or below
 * it (q = 0 gives the minimum). One definition everywhere — raw samples, the run histograms, the
 * gates' bootstrap — so a gate's observed p95 is the p95 the summary shows.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  return sorted[Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9))) - 1]!;
}

/** p50/p90/p95/p99 (nearest rank), min, max and mean; null when empty. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: round(sorted[0]!),
    mean: round(sum / sorted.length),
    p50: round(nearestRank(sorted, 0.5)),
    p90: round(nearestRank(sorted, 0.9)),
    p95: round(nearestRank(sorted, 0.95)),
    p99: round(nearestRank(sorted, 0.99)),
    max: round(sorted[sorted.length - 1]!),
  };
}
