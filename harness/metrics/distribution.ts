import { nearestRank } from './percentiles.ts';
import type { Histogram } from '../run/result.ts';

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * The empirical CDF as quantiles at 0, 1, ..., 100 % (same quantile definition as
 * `percentiles()`): 101 numbers that plot a distribution without keeping every sample. Null when empty.
 */
export function cdf(values: readonly number[]): number[] | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return Array.from({ length: 101 }, (_, i) => round(nearestRank(sorted, i / 100)));
}

/**
 * Bucket edges shared by every histogram: 0, then a log scale of ten buckets per decade (the
 * R10 preferred numbers, 0.1 ms … 100 s). Shared edges make baseline and candidate, and two
 * runs, directly comparable bucket by bucket.
 */
const R10 = [1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8];
export const HISTOGRAM_EDGES: readonly number[] = [0, ...[-1, 0, 1, 2, 3, 4].flatMap((d) => R10.map((m) => round(m * 10 ** d))), 100_000];

/**
 * Counts per bucket [edges[i], edges[i+1]); values at or above the last edge count in the last
 * bucket. Empty buckets at both ends are trimmed, so `counts.length === edges.length - 1`. Null when empty.
 */
export function histogram(values: readonly number[]): Histogram | null {
  return histogramOf(values.map((v): [number, number] => [v, 1]));
}

/** The same, from (value, count) pairs: re-buckets a run's HDR histogram (see Histogram.entries()). */
export function histogramOf(entries: Iterable<[number, number]>): Histogram | null {
  const counts = new Array<number>(HISTOGRAM_EDGES.length - 1).fill(0);
  let total = 0;
  for (const [v, n] of entries) {
    counts[bucketOf(v)]! += n;
    total += n;
  }
  if (total === 0) return null;
  const first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  return { edges: HISTOGRAM_EDGES.slice(first, last + 2), counts: counts.slice(first, last + 1) };
}

function bucketOf(v: number): number {
  // Binary search for the last edge <= v.
  let lo = 0;
  let hi = HISTOGRAM_EDGES.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (HISTOGRAM_EDGES[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
