import { quantileSorted } from 'simple-statistics';
import type { Percentiles } from '../run/result.ts';

const round = (v: number) => Math.round(v * 1000) / 1000;

/** p50/p90/p95/p99 (simple-statistics' quantile of the sorted values), min, max and mean; null when empty. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    count: arr.length,
    min: round(arr[0]!),
    mean: round(sum / arr.length),
    p50: round(quantileSorted(arr, 0.5)),
    p90: round(quantileSorted(arr, 0.9)),
    p95: round(quantileSorted(arr, 0.95)),
    p99: round(quantileSorted(arr, 0.99)),
    max: round(arr[arr.length - 1]!),
  };
}
