import { linearRegression, mean, quantileSorted } from 'simple-statistics';
import type { SeriesStats } from './result.ts';

export type Point = [number, number];

/** The statistics a gate reads of a series; null for an empty one. Pure. */
export function seriesStats(points: readonly Point[]): SeriesStats | null {
  const values = points.map((p) => p[1]).filter((v) => Number.isFinite(v));
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const finite = points.filter((p) => Number.isFinite(p[1]));
  // Seconds since the first point: a slope in units per second, whatever the epoch.
  const t0 = finite[0]![0];
  const slope = finite.length > 1 && finite[finite.length - 1]![0] > t0 ? linearRegression(finite.map(([t, v]) => [(t - t0) / 1000, v])).m : 0;
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: mean(values),
    last: values[values.length - 1]!,
    p95: quantileSorted(sorted, 0.95),
    growth: values[values.length - 1]! - values[0]!,
    slope,
  };
}

/** Sums points that share a timestamp (several label sets of one query). */
export function sumByTime(series: readonly (readonly Point[])[]): Point[] {
  const by = new Map<number, number>();
  for (const s of series) for (const [t, v] of s) by.set(t, (by.get(t) ?? 0) + v);
  return [...by.entries()].sort((a, b) => a[0] - b[0]);
}
