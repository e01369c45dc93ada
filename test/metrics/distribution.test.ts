import { describe, expect, it } from 'vitest';
import { cdf, HISTOGRAM_EDGES, histogram } from '../../harness/metrics/distribution.ts';
import { percentiles } from '../../harness/metrics/percentiles.ts';

describe('cdf', () => {
  it('gives 101 quantiles that agree with the summary percentiles', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    const q = cdf(values)!;
    const p = percentiles(values)!;
    expect(q).toHaveLength(101);
    expect(q[0]).toBe(p.min);
    expect(q[50]).toBe(p.p50);
    expect(q[95]).toBe(p.p95);
    expect(q[99]).toBe(p.p99);
    expect(q[100]).toBe(p.max);
    for (let i = 1; i < q.length; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]!);
  });
  it('is null without values', () => {
    expect(cdf([])).toBeNull();
  });
});

describe('histogram', () => {
  it('counts every value once, on the shared edges, trimmed to the occupied range', () => {
    const values = [0, 0, 8, 8.5, 9.9, 10, 12, 250, 1e6];
    const h = histogram(values)!;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(h.edges).toHaveLength(h.counts.length + 1);
    expect(h.edges[0]).toBe(0);
    expect(h.edges.at(-1)).toBe(HISTOGRAM_EDGES.at(-1));
    const at = (edge: number) => h.counts[h.edges.indexOf(edge)];
    expect(at(0)).toBe(2);
    expect(at(8)).toBe(3); // 8, 8.5 and 9.9 in [8, 10)
    expect(at(10)).toBe(2); // 10 and 12 in [10, 12.5)
    expect(at(250)).toBe(1);
    expect(h.counts.at(-1)).toBe(1); // 1e6 lands in the last bucket
  });
  it('trims empty buckets at both ends', () => {
    const h = histogram([20, 21])!;
    expect(h).toEqual({ edges: [20, 25], counts: [2] });
    expect(histogram([])).toBeNull();
  });
});

describe('plot data from the run histograms', () => {
  it('Histogram.cdf() agrees with the exact quantiles within the histogram precision', async () => {
    const { Histogram } = await import('../../harness/metrics/histogram.ts');
    const values = Array.from({ length: 5000 }, (_, i) => 5 + ((i * 7919) % 3000) / 7);
    const h = new Histogram();
    for (const v of values) h.record(v);
    // The histogram uses nearest rank (the smallest value with at least q·n values at or below it).
    const sorted = [...values].sort((a, b) => a - b);
    const exact = Array.from({ length: 101 }, (_, q) => sorted[Math.max(1, Math.ceil((q / 100) * sorted.length)) - 1]!);
    exact[0] = sorted[0]!;
    const approx = h.cdf()!;
    expect(approx).toHaveLength(101);
    expect(approx[0]).toBeCloseTo(exact[0]!, 3);
    expect(approx[100]).toBeCloseTo(exact[100]!, 3);
    for (let i = 1; i < 100; i++) expect(Math.abs(approx[i]! - exact[i]!)).toBeLessThanOrEqual(exact[i]! * 0.002 + 0.01);
  });

  it('histogramOf(entries) re-buckets a run histogram to the same counts as the raw values', async () => {
    const { Histogram } = await import('../../harness/metrics/histogram.ts');
    const { histogramOf } = await import('../../harness/metrics/distribution.ts');
    const values = [0.05, 0.3, 3, 7, 7.2, 30, 30.5, 900, 4000];
    const h = new Histogram();
    for (const v of values) h.record(v);
    expect(histogramOf(h.entries())).toEqual(histogram(values));
  });
});
