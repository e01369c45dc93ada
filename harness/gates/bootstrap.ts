import { quantileSorted } from 'simple-statistics';
import type { Interval } from './intervals.ts';
import type { Stat } from './metrics.ts';

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
}

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const P: Record<Exclude<Stat, 'mean'>, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** One side's values (undefined where the stream has none), pre-sorted once. */
interface Side {
  values: readonly (number | undefined)[];
  order: Int32Array;
}

function side(values: readonly (number | undefined)[]): Side {
  const idx: number[] = [];
  values.forEach((v, i) => {
    if (v !== undefined) idx.push(i);
  });
  idx.sort((a, b) => values[a]! - values[b]!);
  return { values, order: Int32Array.from(idx) };
}

/** The statistic of the resample given by `counts` (type-7 quantile, as metrics/percentiles.ts), or NaN if empty. */
function statFromCounts(s: Side, counts: Uint32Array, stat: Stat): number {
  let m = 0;
  for (const i of s.order) m += counts[i]!;
  if (m === 0) return NaN;
  if (stat === 'mean') {
    let sum = 0;
    for (const i of s.order) sum += counts[i]! * s.values[i]!;
    return sum / m;
  }
  const idx = (m - 1) * P[stat];
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  let seen = 0;
  let vLo = NaN;
  for (const i of s.order) {
    const c = counts[i]!;
    if (c === 0) continue;
    seen += c;
    if (Number.isNaN(vLo) && seen > lo) vLo = s.values[i]!;
    if (seen > hi) return vLo + (idx - lo) * (s.values[i]! - vLo);
  }
  return vLo;
}

/**
 * Interval of `combine(stat(baseline*), stat(candidate*))` over resamples. null when more than 1%
 * of the resamples leave the statistic undefined (too few values on a side): no interval, no call.
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
  const b = side(baseline);
  const c = side(candidate);
  const rand = mulberry32(opts.seed);
  const counts = new Uint32Array(n);
  const reps: number[] = [];
  let undefinedReps = 0;
  for (let r = 0; r < opts.resamples; r++) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[Math.floor(rand() * n)]!++;
    const v = combine(statFromCounts(b, counts, stat), statFromCounts(c, counts, stat));
    if (Number.isFinite(v)) reps.push(v);
    else undefinedReps++;
  }
  if (undefinedReps > opts.resamples * 0.01) return null;
  reps.sort((x, y) => x - y);
  const alpha = 1 - opts.level;
  return { low: quantileSorted(reps, alpha / 2), high: quantileSorted(reps, 1 - alpha / 2) };
}
