import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from '../../harness/gates/bootstrap.ts';
import { failsSoFar } from '../../harness/gates/early.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { FAILED_MS, gatePair } from '../../harness/gates/metrics.ts';
import type { StreamSample } from '../../harness/metrics/sample.ts';
import type { ServerSeriesResult } from '../../harness/metrics/server/result.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * `latency.*` and `ttfb.*` read a failed request as FAILED_MS (10⁹ ms). When the BASELINE's
 * statistic falls on failed requests, candidate/baseline is ≈ 0 and candidate − baseline ≈ −10⁹:
 * any candidate "passed" a ratio or delta gate. There is no reference then: never a pass.
 */
const NOW = new Date(0);
const failed: Partial<StreamSample> = { outcome: 'http_error', status: 503, completionMs: undefined, headersMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 };
const ok = (ms: number): Partial<StreamSample> => ({ completionMs: ms, headersMs: ms / 10 });
const judged = async (gates: { metric: string; threshold: string }[], b: (i: number) => Partial<StreamSample>, c: (i: number) => Partial<StreamSample>, n = 400, extra = {}) => {
  const ps = pairs(n, b, c);
  const policy = await policyOf(gates, { minSamples: 20, ...extra });
  return { v: evaluatePolicy(policy, runOf(ps), ps.map(gatePair), NOW), policy, ps };
};

describe('a baseline whose percentile fell on failed requests is no reference for a ratio or delta', () => {
  // Baseline: 10% failed (its p99 is "failed"); candidate: every request answered, 5x slower.
  const brokenBase = (i: number) => (i % 10 === 0 ? failed : ok(300 + (i % 7)));
  const slowCand = (i: number) => ok(1500 + (i % 7));

  it('latency.p99 <= 2x baseline: inconclusive, naming the gate, the baseline p99 and the fix', async () => {
    const { v } = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], brokenBase, slowCand);
    const g = v.gates[0]!;
    expect(g.status).toBe('inconclusive');
    expect(g.reason).toMatch(/^latency\.p99: no reference: /);
    expect(g.reason).toMatch(/the baseline's p99 fell on failed requests/);
    expect(g.reason).toMatch(/absolute limit/);
    expect(v.status).not.toBe('pass');
  });

  it('the same for ttfb, for a delta and for a ratio with a floor, and for p50 when most baseline requests failed', async () => {
    for (const gate of [
      { metric: 'ttfb.p99', threshold: '<= 2x baseline' },
      { metric: 'latency.p99', threshold: '<= baseline + 100ms' },
      { metric: 'latency.p99', threshold: '<= 1.2x baseline or <= baseline + 50ms' },
    ]) {
      const { v } = await judged([gate], brokenBase, slowCand);
      expect([gate.threshold, v.gates[0]!.status]).toEqual([gate.threshold, 'inconclusive']);
      expect(v.gates[0]!.reason).toMatch(/fell on failed requests/);
    }
    const { v } = await judged([{ metric: 'latency.p50', threshold: '<= 1.5x baseline' }], (i) => (i % 10 < 6 ? failed : ok(300)), slowCand);
    expect(v.gates[0]!.status).toBe('inconclusive');
    expect(v.status).not.toBe('pass');
  });

  it('a mean over a failed baseline request is no reference either', async () => {
    // One failed baseline request in 400 makes the baseline mean ≈ 2.5·10⁶ ms.
    const { v } = await judged([{ metric: 'latency.mean', threshold: '<= 1.2x baseline' }], (i) => (i === 5 ? failed : ok(300)), slowCand);
    expect(v.gates[0]!.status).toBe('inconclusive');
    expect(v.gates[0]!.reason).toMatch(/the baseline's mean fell on failed requests/);
    // One failure on each side: both means are ≈ 2.5·10⁶ ms and their ratio ≈ 1 whatever the
    // answers took (here 10x slower): a mean over failures says nothing about speed.
    const both = await judged([{ metric: 'latency.mean', threshold: '<= 1.2x baseline' }], (i) => (i === 5 ? failed : ok(300)), (i) => (i === 9 ? failed : ok(3000)));
    expect(both.v.gates[0]!.status).toBe('inconclusive');
    expect(both.v.gates[0]!.reason).toMatch(/a mean over failed requests says nothing about speed/);
  });

  it("an absolute mean over the candidate's failed requests never passes, and the reason says what the millions of ms are made of", async () => {
    const gate = [{ metric: 'latency.mean', threshold: '<= 2000ms' }];
    const { v } = await judged(gate, () => ok(300), (i) => (i === 9 ? failed : ok(300)));
    const g = v.gates[0]!;
    expect(g.value).toBeGreaterThan(1e6);
    expect(g.status).not.toBe('pass');
    expect(g.reason).toMatch(/the candidate's mean includes 1 failed request of 400, each read as 10⁹ ms: it counts failures, not speed \(gate latency\.p50 or \.p95 for speed/);
    const clean = await judged(gate, () => ok(300), () => ok(300));
    expect(clean.v.gates[0]).toMatchObject({ status: 'pass', value: 300 });
    expect(clean.v.gates[0]!.reason).not.toMatch(/failed request/);
  });

  it('a baseline p99 on the edge of its failures (real in the run, failed in many resamples): no pass', async () => {
    // 3 failed in 400 (0.75%): the observed p99 is an answer, but a resample often draws more than 1%.
    const { v } = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], (i) => (i % 133 === 0 ? failed : ok(300)), slowCand);
    expect(v.gates[0]!.observed.baseline).toBeLessThan(1e6);
    expect(v.gates[0]!.status).not.toBe('pass');
  });

  it('insufficient: fail fails it; the early check (data still coming) never fails on it', async () => {
    const gates = [{ metric: 'latency.p99', threshold: '<= 2x baseline' }];
    const { v, policy, ps } = await judged(gates, brokenBase, slowCand, 400, { insufficient: 'fail' });
    expect(v.gates[0]!.status).toBe('fail');
    const filling: RunResult = runOf(ps, { endedAt: null });
    expect(failsSoFar(policy, filling, ps.map(gatePair))).toBeNull();
  });

  it('unchanged: a healthy baseline, a failed candidate, and both failing alike', async () => {
    const healthy = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], (i) => ok(300 + (i % 7)), (i) => ok(320 + (i % 7)));
    expect(healthy.v.gates[0]!.status).toBe('pass');
    const candFails = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], (i) => ok(300 + (i % 7)), (i) => (i % 10 === 0 ? failed : ok(300)));
    expect(candFails.v.gates[0]!.status).toBe('fail');
    // Both sides' p99 on failures, the candidate failing no more often: the ratio is 1 (a failure is a failure).
    const alike = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], (i) => (i % 10 === 0 ? failed : ok(300)), (i) => (i % 10 === 0 ? failed : ok(300)));
    expect(alike.v.gates[0]).toMatchObject({ status: 'pass', value: 1 });
    expect(alike.v.gates.find((g) => g.id === 'failed-requests')!.reason).toMatch(/the candidate failed 40 of 400 compared requests \(streams are requests too\), the baseline 40: no more failures/);
  });

  it('both p99s on failures and the candidate failing more often: the gate does not pass', async () => {
    const { v } = await judged([{ metric: 'latency.p99', threshold: '<= 2x baseline' }], (i) => (i % 10 === 0 ? failed : ok(300)), (i) => (i % 4 === 0 ? failed : ok(300)));
    const g = v.gates[0]!;
    expect(g.status).not.toBe('pass');
    expect(g.reason).toMatch(/the candidate failed 100 .* the baseline 40/);
    expect(v.status).toBe('fail');
  });
});

describe('a baseline that failed most requests is no reference: nothing compared with it passes', () => {
  // A replayed HAR exported without credentials, or mirrored copies whose authorization was
  // dropped: both backends answer 401 to every request. They agree, so before this every ratio
  // and delta gate and the failed-requests guard passed a run that judged nothing.
  const unauthorized: Partial<StreamSample> = { ...failed, status: 401 };
  const gates = [
    { metric: 'latency.p95', threshold: '<= 1.2x baseline' },
    { metric: 'error_rate', threshold: '<= +0.5pp' },
    { metric: 'ttfb.p50', threshold: '<= baseline + 50ms' },
  ];

  it('both sides 401 on every request: no gate and not the guard passes; the reason names the failures and the fix', async () => {
    const { v } = await judged(gates, () => unauthorized, () => unauthorized, 2000);
    expect(v.status).toBe('inconclusive');
    for (const g of v.gates) {
      expect([g.id, g.status]).toEqual([g.id, 'inconclusive']);
      expect(g.reason).toMatch(/no reference: the baseline failed 2000 of 2000 requests here \(http_error 401 ×2000\)/);
      expect(g.reason).toMatch(/targets\[\]\.headers/);
    }
    expect(v.gates.map((g) => g.id)).toContain('failed-requests');
  });

  it('most but not all failed, on both sides alike: still no pass; insufficient: fail fails it', async () => {
    const mostly = (i: number) => (i % 10 < 6 ? unauthorized : ok(300));
    const { v } = await judged(gates, mostly, mostly, 2000);
    expect(v.gates.filter((g) => g.status === 'pass')).toEqual([]);
    expect(v.status).toBe('inconclusive');
    const strict = await judged(gates, mostly, mostly, 2000, { insufficient: 'fail' });
    expect(strict.v.status).toBe('fail');
  });

  it('a candidate failing more than a failing baseline still fails; an absolute limit on the candidate is judged on its own', async () => {
    const { v } = await judged([{ metric: 'error_rate', threshold: '<= +0.5pp' }], (i) => (i % 10 < 6 ? unauthorized : ok(300)), () => unauthorized, 2000);
    expect(v.gates[0]!.status).toBe('fail');
    expect(v.status).toBe('fail');
    const absolute = await judged([{ metric: 'latency.p95', threshold: '<= 2000ms' }], () => unauthorized, () => ok(300), 2000);
    expect(absolute.v.gates[0]!.status).toBe('pass');
  });

  it('per scenario: the one whose baseline fails every request does not pass, the healthy one does', async () => {
    const ps = [...pairs(1000, () => unauthorized, () => unauthorized, 'lots'), ...pairs(1000, () => ok(300), () => ok(310), 'health')];
    const policy = await policyOf(
      [
        { metric: 'latency.p95', threshold: '<= 1.2x baseline', scenario: 'lots' },
        { metric: 'latency.p95', threshold: '<= 1.2x baseline', scenario: 'health' },
      ],
      { minSamples: 20 },
    );
    const v = evaluatePolicy(policy, runOf(ps), ps.map(gatePair), NOW);
    expect(v.gates.slice(0, 2).map((g) => g.status)).toEqual(['inconclusive', 'pass']);
    expect(v.gates[0]!.reason).toMatch(/the baseline failed 1000 of 1000 requests here/);
    expect(v.status).toBe('inconclusive');
  });
});

describe('the paired bootstrap with failedAt', () => {
  it('a resample whose baseline percentile fell on failures against a candidate answer is undefined: no interval', () => {
    const n = 400;
    const base = Array.from({ length: n }, (_, i) => (i % 133 === 0 ? FAILED_MS : 300 + (i % 7)));
    const cand = Array.from({ length: n }, (_, i) => 1500 + (i % 7));
    const opts = { resamples: 500, seed: 1, level: 0.9 };
    const ratio = (x: number, y: number) => y / x;
    // Without it, the resamples where the baseline p99 is 10⁹ pull the interval's low end to ≈ 0.
    expect(pairedBootstrap(base, cand, 'p99', ratio, opts)!.low).toBeLessThan(1e-3);
    expect(pairedBootstrap(base, cand, 'p99', ratio, { ...opts, failedAt: FAILED_MS })).toBeNull();
    // A healthy baseline keeps its interval; failures on both sides alike keep theirs (ratio 1).
    const healthy = Array.from({ length: n }, (_, i) => 300 + (i % 7));
    expect(pairedBootstrap(healthy, cand, 'p99', ratio, { ...opts, failedAt: FAILED_MS })!.low).toBeGreaterThan(4);
    const both = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? FAILED_MS : 300));
    expect(pairedBootstrap(both, both, 'p99', ratio, { ...opts, failedAt: FAILED_MS })).toEqual({ low: 1, high: 1 });
    // A mean over one failed baseline request is on failures too.
    const oneFailed = healthy.map((v, i) => (i === 5 ? FAILED_MS : v));
    expect(pairedBootstrap(oneFailed, cand, 'mean', ratio, { ...opts, failedAt: FAILED_MS })).toBeNull();
  });
});

describe('server-side ratio gates: a baseline series that is no reference never passes the ratio', () => {
  const serie = (role: 'baseline' | 'candidate', values: number[], over: Partial<ServerSeriesResult> = {}): ServerSeriesResult => ({
    name: 'rss',
    target: role === 'baseline' ? 'base' : 'cand',
    role,
    source: 'scrape',
    query: 'process_resident_memory_bytes @ http://127.0.0.1:1/metrics',
    kind: 'gauge',
    value: values.at(-1) ?? null,
    points: values.map((v, i) => [i * 1000, v]),
    stats: values.length ? { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, last: values.at(-1)!, p95: Math.max(...values), growth: values.at(-1)! - values[0]!, slope: 0 } : null,
    ...over,
  });
  const cand = serie('candidate', [100, 400, 900]);
  it.each([
    ['no reads', serie('baseline', [], { value: null, stats: null, error: 'empty series: nothing was read in the window', reads: 0 }), /empty series/],
    ['a zero growth', serie('baseline', [100, 100]), /baseline is 0/],
    ['a negative growth', serie('baseline', [300, 100]), /baseline is -200/],
    ['a NaN value', serie('baseline', [100, 200], { stats: { min: NaN, max: NaN, mean: NaN, last: NaN, p95: NaN, growth: NaN, slope: NaN } }), /empty series/],
  ])('%s', async (_, base, why) => {
    const ps = pairs(50, () => ({}), () => ({}));
    const run = runOf(ps, { serverMetrics: { startedAt: '', endedAt: '', series: [base, cand] } });
    const v = evaluatePolicy(await policyOf([{ metric: 'server.rss.growth', threshold: '<= 1.2x baseline' }]), run, ps.map(gatePair), NOW);
    expect(v.gates[0]!.status).toBe('inconclusive');
    expect(v.gates[0]!.reason).toMatch(why);
  });
});
