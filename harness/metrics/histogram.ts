import type { Percentiles } from '../run/result.ts';

/**
 * A log-linear histogram in the HdrHistogram layout: values are kept as integers of 1/1000 of the
 * unit (µs for milliseconds), exact below 2048 and within 1/1024 (0.1 %) above, up to 2^32 − 1
 * (71 minutes in µs). Memory is fixed (one Uint32Array of 23,552 buckets, allocated on the first
 * value), whatever the number of samples; min, max, count and sum are exact.
 *
 * Written here rather than taken from hdr-histogram-js: that library records at 200 ns a value in
 * JS (80 ns in its WebAssembly build), too slow to summarize a million streams (about 20 values
 * each) in under a second; this one records in a few ns. Histograms merge by adding buckets, so
 * worker threads each keep their own and the run adds them up.
 */
const SUB_BITS = 11;
const HALF = 1 << (SUB_BITS - 1); // 1024
const BUCKETS = (32 - SUB_BITS + 1) * HALF + HALF; // 23,552
const SCALE = 1000;
const MAX_RAW = 0xffffffff;

export interface HistogramJSON {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Sparse buckets: [index, count, index, count, ...]. */
  buckets: number[];
}

export class Histogram {
  private counts: Uint32Array | undefined;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /** Records a value in the histogram's unit (ms, chars/s, ...). Negative values count as 0. */
  record(value: number): void {
    const v = value > 0 ? value : 0;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    let raw = (v * SCALE + 0.5) | 0;
    if (v * SCALE >= MAX_RAW) raw = MAX_RAW;
    else if (raw < 0) raw = (v * SCALE + 0.5) >>> 0;
    const counts = this.counts ?? (this.counts = new Uint32Array(BUCKETS));
    counts[raw < 2 * HALF ? raw : indexOf(raw)]!++;
  }

  merge(other: Histogram | HistogramJSON): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    const counts = (this.counts ??= new Uint32Array(BUCKETS));
    if (other instanceof Histogram) {
      const o = other.counts!;
      for (let i = 0; i < BUCKETS; i++) if (o[i]) counts[i]! += o[i]!;
    } else {
      for (let i = 0; i < other.buckets.length; i += 2) counts[other.buckets[i]!]! += other.buckets[i + 1]!;
    }
  }

  /** Value at quantile q (0..1), nearest rank: the smallest recorded value with at least q·count values at or below it. */
  quantile(q: number): number {
    if (this.count === 0 || !this.counts) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, midpointOf(i) / SCALE));
    }
    return this.max;
  }

  /** Recorded values as (bucket value, count), ascending: to re-bucket for plots. */
  *entries(): Generator<[number, number]> {
    if (!this.counts) return;
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.counts[i]!;
      if (n) yield [Math.min(this.max, Math.max(this.min, midpointOf(i) / SCALE)), n];
    }
  }

  /** Quantiles at 0, 1, ..., 100 % (0 % is the minimum) in one pass; null when empty. */
  cdf(): number[] | null {
    if (this.count === 0) return null;
    const out: number[] = [round(this.min)];
    let seen = 0;
    let q = 1;
    for (const [value, n] of this.entries()) {
      seen += n;
      while (q <= 100 && seen >= Math.max(1, Math.ceil((q / 100) * this.count))) {
        out.push(round(value));
        q++;
      }
    }
    while (out.length < 101) out.push(round(this.max));
    return out;
  }

  percentiles(): Percentiles | null {
    if (this.count === 0) return null;
    return {
      count: this.count,
      min: round(this.min),
      mean: round(this.sum / this.count),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
      max: round(this.max),
    };
  }

  toJSON(): HistogramJSON {
    const buckets: number[] = [];
    if (this.counts) for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push(i, this.counts[i]!);
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, buckets };
  }

  static from(json: HistogramJSON): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

function indexOf(raw: number): number {
  if (raw < 2 * HALF) return raw;
  const shift = 31 - Math.clz32(raw) - (SUB_BITS - 1);
  return shift * HALF + (raw >>> shift);
}

function midpointOf(index: number): number {
  if (index < 2 * HALF) return index;
  const shift = Math.floor(index / HALF) - 1;
  const low = ((index % HALF) + HALF) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
