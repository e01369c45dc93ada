import { quantileSorted } from 'simple-statistics';
import type { Interval } from './intervals.ts';
import type { Stat } from './metrics.ts';
import { mulberry32 } from '../random.ts';

/**
 * Paired percentile bootstrap for statistics of per-stream values (latency percentiles, means,
 * chars/s). One resample draws n pair indices with replacement; baseline and candidate are read
 * from the same drawn pairs, so what both backends saw at the same moment stays together (a GC
 * pause or a noisy neighbour hits both sides of a pair). The statistic (p95, ...) is computed on
 * each side of the resample, combined (candidate / baseline, candidate − baseline, or the
 * candidate alone), and the interval is the α/2 and 1 − α/2 quantiles of the combined values.
 *
 * The generator is mulberry32 with a fixed seed, so the same run and policy give the same interval
 * every time (`parity gate` reproduces `parity run`'s verdict). A resample is kept as counts per
 * pair, and a quantile is read by walking each side's pre-sorted order: O(n) per resample.
 */
export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Two-sided level, e.g. 0.90. */
  level: number;
  /**
   * Values at or above this are failed requests (FAILED_MS). Set for a ratio or delta: a resample
   * whose baseline statistic falls on them (a percentile at or above it, a mean over one) while the
   * candidate's does not (for a mean: at all) has no reference, and is undefined like a resample
   * with an empty side.
   */
  failedAt?: number;
}

export { mulberry32 };

const P: Record<Exclude<Stat, 'mean'>, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** One side's values (undefined where the stream has none), pre-sorted once. */
interface Side {
  values: readonly (number | undefined)[];
  order: Int32Array;
  /** Pairs with no value on this side: their counts are subtracted from the resample size. */
  missing: Int32Array;
  /** Pairs whose value is at or above `failedAt` (failed requests). */
  failed: Int32Array;
}

function side(values: readonly (number | undefined)[], failedAt = Infinity): Side {
  const idx: number[] = [];
  const missing: number[] = [];
  values.forEach((v, i) => (v === undefined ? missing : idx).push(i));
  idx.sort((a, b) => values[a]! - values[b]!);
  const failed = idx.filter((i) => values[i]! >= failedAt);
  return { values, order: Int32Array.from(idx), missing: Int32Array.from(missing), failed: Int32Array.from(failed) };
}

/** Whether the resample's statistic fell on failed requests: a percentile among them, a mean over one. */
function onFailed(s: Side, counts: Uint32Array, stat: Stat, value: number, failedAt: number): boolean {
  if (stat !== 'mean') return value >= failedAt;
  for (const i of s.failed) if (counts[i]! > 0) return true;
  return false;
}

/**
 * The statistic of the resample given by `counts` (per pair index), or NaN if the side is empty
 * in it. Quantiles are nearest rank, as metrics/percentiles.ts and the run histograms. A high quantile is found by walking
 * down from the top, so p95 touches about 5% of the values instead of all of them.
 */
export function resampleStat(values: readonly (number | undefined)[], counts: Uint32Array, stat: Stat): number {
  return statFromCounts(side(values), counts, stat);
}

function statFromCounts(s: Side, counts: Uint32Array, stat: Stat): number {
  // A resample draws exactly n pairs, so this side holds n minus what fell on pairs it has no value for.
  let m = s.values.length;
  for (const i of s.missing) m -= counts[i]!;
  if (m === 0) return NaN;
  const v = s.values;
  if (stat === 'mean') {
    let sum = 0;
    for (const i of s.order) sum += counts[i]! * v[i]!;
    return sum / m;
  }
  // Nearest rank: the smallest value with at least p·m values at or below it (0-based rank lo = hi).
  const idx = Math.max(1, Math.ceil(m * P[stat] - 1e-9)) - 1;
  const lo = idx;
  const hi = idx;
  let vLo = NaN;
  let vHi = NaN;
  let seen = 0;
  if (hi < m / 2) {
    for (const i of s.order) {
      seen += counts[i]!;
      if (Number.isNaN(vLo) && seen > lo) vLo = v[i]!;
      if (seen > hi) {
        vHi = v[i]!;
        break;
      }
    }
  } else {
    // Rank r from the bottom is rank m − 1 − r from the top.
    for (let j = s.order.length - 1; j >= 0; j--) {
      const i = s.order[j]!;
      seen += counts[i]!;
      if (Number.isNaN(vHi) && seen > m - 1 - hi) vHi = v[i]!;
      if (seen > m - 1 - lo) {
        vLo = v[i]!;
        break;
      }
    }
  }
  return vLo + (idx - lo) * (vHi - vLo);
}

/**
 * Interval of `combine(stat(baseline*), stat(candidate*))` over resamples. null when more than 1%
 * of the resamples leave the statistic undefined (too few values on a side, or with `failedAt` a baseline
 * statistic on failed requests against a candidate one that is not): no interval, no call.
 */
export function pairedBootstrap(
  baseline: readonly (number | undefined)[],
  candidate: readonly (number | undefined)[],
  stat: Stat,
  combine: (b: number, c: number) => number,
  opts: BootstrapOptions,
): Interval | null {
  const n = baseline.length;
  if (n === 0 || candidate.length !== n) return null;
  const failedAt = opts.failedAt ?? Infinity;
  const b = side(baseline, failedAt);
  const c = side(candidate, failedAt);
  const rand = mulberry32(opts.seed);
  const counts = new Uint32Array(n);
  const reps: number[] = [];
  let undefinedReps = 0;
  for (let r = 0; r < opts.resamples; r++) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[Math.floor(rand() * n)]!++;
    const bs = statFromCounts(b, counts, stat);
    const cs = statFromCounts(c, counts, stat);
    // Two means over failures compare failure counts, not speed: no reference either.
    const noReference = failedAt < Infinity && onFailed(b, counts, stat, bs, failedAt) && (stat === 'mean' || !onFailed(c, counts, stat, cs, failedAt));
    const v = noReference ? NaN : combine(bs, cs);
    if (Number.isFinite(v)) reps.push(v);
    else undefinedReps++;
  }
  if (undefinedReps > opts.resamples * 0.01) return null;
  reps.sort((x, y) => x - y);
  const alpha = 1 - opts.level;
  return { low: quantileSorted(reps, alpha / 2), high: quantileSorted(reps, 1 - alpha / 2) };
}
