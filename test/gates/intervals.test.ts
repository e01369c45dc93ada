import { describe, expect, it } from 'vitest';
import { mulberry32, pairedBootstrap, resampleStat } from '../../harness/gates/bootstrap.ts';
import { moverRatio, newcombeDiff, normalQuantile, wilson, zFor } from '../../harness/gates/intervals.ts';
import { nearestRank, percentiles } from '../../harness/metrics/percentiles.ts';

const z95 = zFor(0.95);
const z90 = zFor(0.9);

/** A binomial draw from a seeded generator. */
function binomial(n: number, p: number, rand: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

describe('rate intervals', () => {
  it('z for a level is exact to 6 digits (the limits of every interval hang on it)', () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 6);
    expect(zFor(0.9)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 6);
  });

  it('Wilson matches the published example (81/263 → 0.2553..0.3662, Newcombe 1998)', () => {
    const w = wilson(81, 263, z95);
    expect(w.low).toBeCloseTo(0.2553, 4);
    expect(w.high).toBeCloseTo(0.3662, 4);
  });

  it('Wilson for 0 events is [0, >0]: 0/300 is not "0% ± 0"', () => {
    const w = wilson(0, 300, z90);
    expect(w.low).toBe(0);
    expect(w.high).toBeGreaterThan(0.008);
    expect(w.high).toBeLessThan(0.01);
  });

  it("Newcombe's hybrid score matches the published example (56/70 − 48/80 → 0.0524..0.3339)", () => {
    const d = newcombeDiff(48, 80, 56, 70, z95);
    expect(d.low).toBeCloseTo(0.0524, 4);
    expect(d.high).toBeCloseTo(0.3339, 4);
  });

  it('MOVER ratio agrees with the log (Katz) interval at large counts and is undefined for a zero baseline', () => {
    const r = moverRatio(300, 1000, 450, 1000, z95)!;
    // Katz: exp(ln 1.5 ± 1.96·sqrt(1/300 − 1/1000 + 1/450 − 1/1000)) = [1.335, 1.686]
    expect(r.low).toBeCloseTo(1.335, 1);
    expect(r.high).toBeCloseTo(1.686, 1);
    expect(r.low).toBeLessThan(1.5);
    expect(r.high).toBeGreaterThan(1.5);
    expect(moverRatio(0, 300, 3, 300, z95)).toBeNull();
    expect(moverRatio(3, 300, 0, 300, z95)!.low).toBe(0);
  });

  // Coverage in the regime that matters for gates (rare events, a few hundred streams): a 90%
  // interval must hold the true value in about 90% of repeated runs, and never far less.
  it('each rate interval covers the true value at least ~90% of the time for rare events', () => {
    const rand = mulberry32(42);
    const sims = 2000;
    let w = 0;
    let d = 0;
    let r = 0;
    let rTotal = 0;
    for (let s = 0; s < sims; s++) {
      const kB = binomial(400, 0.02, rand);
      const kC = binomial(400, 0.03, rand);
      const iw = wilson(kC, 400, z90);
      if (iw.low <= 0.03 && 0.03 <= iw.high) w++;
      const id = newcombeDiff(kB, 400, kC, 400, z90);
      if (id.low <= 0.01 && 0.01 <= id.high) d++;
      const ir = moverRatio(kB, 400, kC, 400, z90);
      if (ir) {
        rTotal++;
        if (ir.low <= 1.5 && 1.5 <= ir.high) r++;
      }
    }
    expect(w / sims).toBeGreaterThan(0.86);
    expect(d / sims).toBeGreaterThan(0.86);
    expect(r / rTotal).toBeGreaterThan(0.86);
    // ...and not by being uselessly wide.
    expect(d / sims).toBeLessThan(0.97);
  });
});

describe('paired bootstrap', () => {
  const gen = (seed: number, n: number, scale: number) => {
    const rand = mulberry32(seed);
    return Array.from({ length: n }, () => scale * (50 + 30 * -Math.log(1 - rand())));
  };

  it('reads a resample\'s statistic exactly as sorting the expanded resample would (both walk directions, gaps)', () => {
    const rand = mulberry32(9);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const values = Array.from({ length: n }, () => (rand() < 0.15 ? undefined : Math.round(rand() * 1000) / 10));
      const counts = new Uint32Array(n);
      for (let j = 0; j < n; j++) counts[Math.floor(rand() * n)]!++;
      const expanded: number[] = [];
      values.forEach((v, i) => {
        for (let k = 0; k < counts[i]!; k++) if (v !== undefined) expanded.push(v);
      });
      expanded.sort((a, b) => a - b);
      for (const [stat, p] of [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99]] as const) {
        const got = resampleStat(values, counts, stat);
        if (expanded.length === 0) expect(got).toBeNaN();
        else expect(got, `${stat} n=${n}`).toBeCloseTo(nearestRank(expanded, p), 9);
      }
      if (expanded.length) expect(resampleStat(values, counts, 'mean')).toBeCloseTo(expanded.reduce((a, b) => a + b, 0) / expanded.length, 9);
    }
  });

  it('is reproducible: the same samples and seed give the same interval', () => {
    const b = gen(1, 300, 1);
    const c = gen(2, 300, 1.1);
    const opts = { resamples: 1000, seed: 7, level: 0.9 };
    const a1 = pairedBootstrap(b, c, 'p95', (x, y) => y / x, opts);
    const a2 = pairedBootstrap(b, c, 'p95', (x, y) => y / x, opts);
    expect(a1).toEqual(a2);
    expect(pairedBootstrap(b, c, 'p95', (x, y) => y / x, { ...opts, seed: 8 })).not.toEqual(a1);
  });

  it('brackets the observed statistic, computed the way run.json computes it', () => {
    const b = gen(3, 500, 1);
    const c = gen(4, 500, 1.3);
    const i = pairedBootstrap(b, c, 'p95', (x, y) => y / x, { resamples: 1000, seed: 1, level: 0.9 })!;
    const observed = percentiles(c)!.p95 / percentiles(b)!.p95;
    expect(i.low).toBeLessThan(observed);
    expect(i.high).toBeGreaterThan(observed);
    // Zero variance collapses the interval to the value itself.
    const flat = pairedBootstrap(Array(50).fill(100), Array(50).fill(120), 'p95', (x, y) => y / x, { resamples: 200, seed: 1, level: 0.9 })!;
    expect(flat).toEqual({ low: 1.2, high: 1.2 });
  });

  it('covers a ratio of 1 for identical distributions about 90% of the time', () => {
    let covered = 0;
    const sims = 150;
    for (let s = 0; s < sims; s++) {
      const i = pairedBootstrap(gen(100 + s, 300, 1), gen(1000 + s, 300, 1), 'p95', (x, y) => y / x, { resamples: 500, seed: s, level: 0.9 })!;
      if (i.low <= 1 && 1 <= i.high) covered++;
    }
    expect(covered / sims).toBeGreaterThan(0.83);
  });

  it('gives no interval when a side has no values', () => {
    expect(pairedBootstrap([undefined, undefined], [1, 2], 'p50', (x, y) => y / x, { resamples: 200, seed: 1, level: 0.9 })).toBeNull();
    expect(pairedBootstrap([undefined, undefined], [1, 2], 'p50', (_x, y) => y, { resamples: 200, seed: 1, level: 0.9 })).not.toBeNull();
  });
});
