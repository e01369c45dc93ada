import { describe, expect, it } from 'vitest';
import { evaluatePolicy, judge } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { moverRatio, newcombeDiff, wilson, zFor } from '../../harness/gates/intervals.ts';
import type { GateInput } from '../../harness/gates/policy.ts';
import type { StreamSample } from '../../harness/metrics/sample.ts';
import type { ContractStepSummary, RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);

/** Evaluates one gate over the given pairs; returns the gate result and verdict. */
async function one(gate: GateInput, ps = pairs(50, () => ({}), () => ({})), run: Partial<RunResult> = {}) {
  const policy = await policyOf([gate]);
  const verdict = evaluatePolicy(policy, runOf(ps, run), ps, NOW);
  return { gate: verdict.gates[0]!, verdict };
}

/** 50 pairs with constant completion times: zero variance, so the interval is the value itself. */
const flat = (b: number, c: number) => pairs(50, () => ({ completionMs: b }), () => ({ completionMs: c }));

describe('what the gates keep of a pair', () => {
  it('gatePair keeps only the fields gate metrics read, and every kind of gate judges it as the whole pair', async () => {
    const outcomes = ['complete', 'complete', 'complete', 'reset', 'stalled', 'http_error'] as const;
    const ps = pairs(
      240,
      (i) => ({ headersMs: 5 + (i % 7), firstEventMs: 40 + (i % 11), firstContentMs: 41 + (i % 11), completionMs: 300 + (i % 37), contentChars: 80 + (i % 5), dispatchLagMs: i % 3, expectsCitations: i % 2 === 0, citations: i % 4 === 0 ? 1 : 0 }),
      (i) => ({ headersMs: 6 + (i % 5), firstEventMs: 45 + (i % 13), firstContentMs: 46 + (i % 13), completionMs: 330 + (i % 41), contentChars: 82 + (i % 3), outcome: outcomes[i % 6]!, status: i % 6 === 5 ? 502 : 200, expectsCitations: i % 2 === 0, citations: i % 3 === 0 ? 1 : 0 }),
    );
    const policy = await policyOf([
      { metric: 'completion.p95', threshold: '<= 1.20x baseline' },
      { metric: 'first_content.p50', threshold: '<= baseline + 10ms' },
      { metric: 'headers.p99', threshold: '<= 50ms' },
      { metric: 'content_chars_per_sec.p50', threshold: '>= 0.9x baseline' },
      { metric: 'error_rate', threshold: '<= +0.5pp' },
      { metric: 'http_5xx_rate', threshold: '<= 5%' },
      { metric: 'interruption_rate', threshold: '<= 2x baseline' },
      { metric: 'citation_presence', threshold: '>= 95%' },
      { metric: 'error_count', threshold: '<= 10' },
    ]);
    const run = runOf(ps);
    const kept = ps.map(gatePair);
    expect(Object.keys(kept[0]!).sort()).toEqual(['baseline', 'candidate', 'scenario']);
    expect(Object.keys(kept[0]!.candidate).sort()).toEqual(['citations', 'completionMs', 'contentChars', 'dispatchLagMs', 'expectsCitations', 'firstContentMs', 'firstEventMs', 'headersMs', 'itlMs', 'outcome', 'outputTokens', 'status', 'tpotMs']);
    const whole = evaluatePolicy(policy, run, ps, NOW);
    expect(whole.gates.map((g) => g.status)).toContain('fail');
    expect(evaluatePolicy(policy, run, kept, NOW)).toEqual(whole);
  });
});

describe('each comparison kind at, just inside and just outside its threshold', () => {
  it('absolute (latency): <= 1500ms', async () => {
    const at = await one({ metric: 'completion.p95', threshold: '<= 1500ms' }, flat(100, 1500));
    expect(at.gate).toMatchObject({ status: 'pass', value: 1500, limit: 1500, margin: 0, comparison: 'absolute', unit: 'ms' });
    expect((await one({ metric: 'completion.p95', threshold: '<= 1500ms' }, flat(100, 1499.9))).gate.status).toBe('pass');
    const out = await one({ metric: 'completion.p95', threshold: '<= 1500ms' }, flat(100, 1500.1));
    expect(out.gate.status).toBe('fail');
    expect(out.gate.margin).toBeCloseTo(-0.1, 6);
    expect(out.verdict.status).toBe('fail');
    // A strict operator excludes the limit itself.
    expect((await one({ metric: 'completion.p95', threshold: '< 1500ms' }, flat(100, 1500))).gate.status).toBe('fail');
    expect((await one({ metric: 'completion.p95', threshold: '< 1500ms' }, flat(100, 1499.9))).gate.status).toBe('pass');
  });

  it('absolute (throughput, a lower bound): content_chars_per_sec.p50 >= 200', async () => {
    // 100 chars between first content (10 ms) and completion: 500 ms span = 200 chars/s.
    const at = (span: number) => pairs(50, () => ({}), () => ({ firstContentMs: 10, completionMs: 10 + span, contentChars: 100 }));
    expect((await one({ metric: 'content_chars_per_sec.p50', threshold: '>= 200' }, at(500))).gate).toMatchObject({ status: 'pass', value: 200 });
    expect((await one({ metric: 'content_chars_per_sec.p50', threshold: '>= 200' }, at(499))).gate.status).toBe('pass');
    expect((await one({ metric: 'content_chars_per_sec.p50', threshold: '>= 200' }, at(501))).gate.status).toBe('fail');
  });

  it('ratio: <= 1.20x baseline', async () => {
    const at = await one({ metric: 'completion.p95', threshold: '<= 1.20x baseline' }, flat(100, 120));
    expect(at.gate).toMatchObject({ status: 'pass', value: 1.2, limit: 1.2, comparison: 'ratio', unit: 'ratio', observed: { baseline: 100, candidate: 120 } });
    expect(at.gate.interval).toMatchObject({ low: 1.2, high: 1.2, level: 0.9 });
    expect((await one({ metric: 'completion.p95', threshold: '<= 1.20x baseline' }, flat(100, 119.9))).gate.status).toBe('pass');
    expect((await one({ metric: 'completion.p95', threshold: '<= 1.20x baseline' }, flat(100, 120.1))).gate.status).toBe('fail');
  });

  it('ratio with a floor: <= 1.20x baseline or <= baseline + 50ms', async () => {
    const g = { metric: 'completion.p95', threshold: '<= 1.20x baseline or <= baseline + 50ms' };
    // Fast backends: 1.5x, but only +50 ms: the floor holds.
    const atFloor = await one(g, flat(100, 150));
    expect(atFloor.gate.status).toBe('pass');
    expect(atFloor.gate.floor).toMatchObject({ value: 50, limit: 50, status: 'pass', unit: 'ms' });
    expect((await one(g, flat(100, 149.9))).gate.status).toBe('pass');
    const out = await one(g, flat(100, 150.1));
    expect(out.gate.status).toBe('fail');
    expect(out.gate.floor!.status).toBe('fail');
    // Slow backends: +200 ms is past the floor, but 1.2x holds.
    expect((await one(g, flat(1000, 1200))).gate).toMatchObject({ status: 'pass', floor: { status: 'fail' } });
    expect((await one(g, flat(1000, 1201))).gate.status).toBe('fail');
  });

  it('delta (latency): <= baseline + 100ms', async () => {
    const g = { metric: 'completion.p95', threshold: '<= baseline + 100ms' };
    expect((await one(g, flat(100, 200))).gate).toMatchObject({ status: 'pass', value: 100, comparison: 'delta' });
    expect((await one(g, flat(100, 199.9))).gate.status).toBe('pass');
    expect((await one(g, flat(100, 200.1))).gate.status).toBe('fail');
  });

  // Rates always carry sampling error, so "at the threshold" can never be shown to be within it:
  // the honest answer there is inconclusive. At a million streams the interval is narrow enough for
  // 0.1 point either side to decide. These use the same functions evaluate() calls.
  it('absolute (rate): <= 1% on counts', () => {
    const z = zFor(0.9);
    const n = 1_000_000;
    expect(judge('<=', 0.01, 0.01, wilson(10_000, n, z), false)).toBe('inconclusive');
    expect(judge('<=', 0.01, 0.009, wilson(9_000, n, z), false)).toBe('pass');
    expect(judge('<=', 0.01, 0.011, wilson(11_000, n, z), false)).toBe('fail');
  });

  it('delta (pp): <= +0.5pp on counts', () => {
    const z = zFor(0.9);
    const n = 1_000_000;
    expect(judge('<=', 0.005, 0.005, newcombeDiff(10_000, n, 15_000, n, z), false)).toBe('inconclusive');
    expect(judge('<=', 0.005, 0.004, newcombeDiff(10_000, n, 14_000, n, z), false)).toBe('pass');
    expect(judge('<=', 0.005, 0.006, newcombeDiff(10_000, n, 16_000, n, z), false)).toBe('fail');
  });

  it('ratio (rate): <= 2x baseline on counts', () => {
    const z = zFor(0.9);
    const n = 1_000_000;
    expect(judge('<=', 2, 2, moverRatio(10_000, n, 20_000, n, z), false)).toBe('inconclusive');
    expect(judge('<=', 2, 1.9, moverRatio(10_000, n, 19_000, n, z), false)).toBe('pass');
    expect(judge('<=', 2, 2.1, moverRatio(10_000, n, 21_000, n, z), false)).toBe('fail');
  });

  it('rates end to end: error_rate <= 1% and interruption_rate <= +0.5pp over 20 000 pairs', async () => {
    const n = 20_000;
    const failing = (k: number) => (i: number): Partial<StreamSample> => (i < k ? { outcome: 'reset', completionMs: undefined } : {});
    const abs = { metric: 'error_rate', threshold: '<= 1%' };
    expect((await one(abs, pairs(n, () => ({}), failing(200)))).gate).toMatchObject({ status: 'inconclusive', value: 0.01, margin: 0 });
    expect((await one(abs, pairs(n, () => ({}), failing(160)))).gate.status).toBe('pass');
    expect((await one(abs, pairs(n, () => ({}), failing(240)))).gate.status).toBe('fail');
    const delta = { metric: 'interruption_rate', threshold: '<= +0.5pp' };
    const d = await one(delta, pairs(n, failing(200), failing(300)));
    expect(d.gate).toMatchObject({ status: 'inconclusive', comparison: 'delta_pp', unit: 'pp' });
    expect(d.gate.value).toBeCloseTo(0.5, 9);
    expect((await one(delta, pairs(n, failing(200), failing(240)))).gate.status).toBe('pass');
    expect((await one(delta, pairs(n, failing(200), failing(360)))).gate.status).toBe('fail');
  });

  it('exact counts: contract_drift <= 0, assertion_failures <= 2, http_5xx_count <= 0', async () => {
    const step = (scenario: string, drifted: number, failures: number): ContractStepSummary => ({
      scenario,
      step: 'get',
      pairs: 40,
      identical: 40 - drifted,
      drifted,
      drift: [],
      noise: [],
      assertionFailures: { baseline: 0, candidate: failures },
      artifact: null,
      curl: null,
    });
    const drift = { metric: 'contract_drift', threshold: '<= 0' };
    expect((await one(drift, undefined, { contracts: [step('c', 0, 0)] })).gate).toMatchObject({ status: 'pass', value: 0, samples: { candidate: 40 } });
    expect((await one(drift, undefined, { contracts: [step('c', 1, 0)] })).gate.status).toBe('fail');
    const af = { metric: 'assertion_failures', threshold: '<= 2' };
    expect((await one(af, undefined, { contracts: [step('c', 0, 2)] })).gate.status).toBe('pass');
    expect((await one(af, undefined, { contracts: [step('c', 0, 1), step('d', 0, 2)] })).gate.status).toBe('fail');
    expect((await one({ ...af, scenario: 'c' }, undefined, { contracts: [step('c', 0, 1), step('d', 0, 2)] })).gate.status).toBe('pass');
    const five = { metric: 'http_5xx_count', threshold: '<= 0' };
    expect((await one(five, pairs(50, () => ({}), () => ({})))).gate.status).toBe('pass');
    expect((await one(five, pairs(50, () => ({}), (i) => (i === 7 ? { outcome: 'http_error', status: 503 } : {})))).gate).toMatchObject({ status: 'fail', value: 1 });
  });
});

describe('verdict rules: never pass without evidence', () => {
  const passing = { metric: 'completion.p95', threshold: '<= 1.20x baseline' };

  it('10 samples against minSamples 100: inconclusive, or fail when the policy says so', async () => {
    const ps = flat(100, 100).slice(0, 10);
    const { gate, verdict } = await one({ ...passing, minSamples: 100 }, ps);
    expect(gate.status).toBe('inconclusive');
    expect(gate.samples).toEqual({ baseline: 10, candidate: 10, min: 100 });
    expect(gate.reason).toMatch(/fewer than minSamples 100/);
    expect(verdict.status).toBe('inconclusive');
    const strict = await one({ ...passing, minSamples: 100, insufficient: 'fail' }, ps);
    expect(strict.verdict.status).toBe('fail');
  });

  it('an incomplete run never passes, even with every gate passing', async () => {
    const { verdict } = await one(passing, flat(100, 100), { complete: false, incompleteReason: 'interrupted' });
    expect(verdict.gates[0]!.status).toBe('pass');
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.reasons.join('\n')).toMatch(/run incomplete \(interrupted\)/);
    const policy = await policyOf([passing], { insufficient: 'fail' });
    const ps = flat(100, 100);
    expect(evaluatePolicy(policy, runOf(ps, { complete: false, incompleteReason: 'harness error: boom' }), ps, NOW).status).toBe('fail');
  });

  it('harness-health warnings block a pass', async () => {
    const { verdict } = await one(passing, flat(100, 100), { harness: { eventLoopDelayMs: null, dispatchLagMs: null, warnings: ['event loop delay p99 120 ms'] } });
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.reasons.join('\n')).toMatch(/harness health: event loop delay p99 120 ms/);
  });

  it('a metric with no data is inconclusive, never pass', async () => {
    const noCitations = pairs(50, () => ({ expectsCitations: false }), () => ({ expectsCitations: false }));
    const c = await one({ metric: 'citation_presence', threshold: '>= 95%' }, noCitations);
    expect(c.gate).toMatchObject({ status: 'inconclusive', observed: { baseline: null, candidate: null } });
    expect(c.gate.reason).toMatch(/no data/);
    const contracts = await one({ metric: 'contract_drift', threshold: '<= 0' });
    expect(contracts.gate.reason).toMatch(/no contract results in this run/);
    expect((await one({ metric: 'dropped_iterations', threshold: '<= 0' })).gate.status).toBe('inconclusive');
    expect((await one({ metric: 'dropped_iterations', threshold: '<= 0' }, undefined, { load: { ...runOf([]).load, iterations: 50, dropped: 0 } as RunResult['load'] })).gate.status).toBe('pass');
    const allFailed = pairs(50, () => ({}), () => ({ outcome: 'reset', completionMs: undefined }));
    expect((await one(passing, allFailed)).gate.reason).toMatch(/no data/);
    expect((await one(passing, [])).verdict.status).toBe('inconclusive');
  });

  it('fail outranks inconclusive; a failing warn gate is reported but does not decide', async () => {
    const ps = flat(100, 130);
    const policy = await policyOf([passing, { metric: 'completion.p95', threshold: '<= 1.5x baseline', minSamples: 1000 }, { metric: 'completion.p50', threshold: '<= 1.1x baseline', severity: 'warn' }]);
    const v = evaluatePolicy(policy, runOf(ps), ps, NOW);
    expect(v.gates.map((g) => g.status)).toEqual(['fail', 'inconclusive', 'fail', 'pass']);
    expect(v.status).toBe('fail');
    const lenient = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.5x baseline' }, { metric: 'completion.p50', threshold: '<= 1.1x baseline', severity: 'warn' }]);
    const v2 = evaluatePolicy(lenient, runOf(ps), ps, NOW);
    expect(v2.status).toBe('pass');
    expect(v2.reasons.some((r) => r.startsWith('WARN completion.p50'))).toBe(true);
  });

  it('a ratio to a zero baseline is undefined: inconclusive unless the floor decides', async () => {
    const ps = pairs(400, () => ({}), () => ({}));
    const bare = await one({ metric: 'error_rate', threshold: '<= 2x baseline' }, ps);
    expect(bare.gate).toMatchObject({ status: 'inconclusive', value: null });
    expect(bare.gate.reason).toMatch(/baseline is 0/);
    const withFloor = await one({ metric: 'error_rate', threshold: '<= 2x baseline or <= baseline + 5pp' }, ps);
    expect(withFloor.gate.status).toBe('pass');
  });
});

describe('scoping and observed values', () => {
  const twoScenarios = () => [...pairs(60, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }), 'fast'), ...pairs(60, () => ({ completionMs: 100 }), () => ({ completionMs: 300 }), 'slow')];

  it('a gate scoped to a scenario or route reads only its samples', async () => {
    const ps = twoScenarios();
    const policy = await policyOf([
      { metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'fast' },
      { metric: 'completion.p95', threshold: '<= 1.2x baseline', route: 'route-slow' },
      { metric: 'completion.p90', threshold: '<= 1.2x baseline' },
    ]);
    const v = evaluatePolicy(policy, runOf(ps), ps, NOW);
    expect(v.gates.map((g) => [g.id, g.status, g.samples.candidate])).toEqual([
      ['completion.p95@fast', 'pass', 60],
      ['completion.p95@route:route-slow', 'fail', 60],
      ['completion.p90', 'fail', 120],
      ['failed-requests', 'pass', 120],
      // The guard again over each scoped gate's scope: its survivors never hide its failures.
      ['failed-requests@fast', 'pass', 60],
      ['failed-requests@route:route-slow', 'pass', 60],
      // And over every scenario no full guard reads, deciding on evidence only.
      ['failed-requests@slow', 'pass', 60],
    ]);
    expect(v.gates[1]!.route).toBe('route-slow');
  });

  it("a gate's observed values equal the run.json summary of its scenario", async () => {
    const ps = pairs(
      200,
      (i) => ({ completionMs: 80 + ((i * 37) % 50), firstContentMs: 5 + (i % 9) }),
      (i) => (i % 25 === 0 ? { outcome: 'stalled', completionMs: undefined } : { completionMs: 90 + ((i * 53) % 70), citations: i % 10 === 0 ? 0 : 2 }),
    );
    const run = runOf(ps);
    const policy = await policyOf([
      { metric: 'completion.p95', threshold: '<= 2x baseline', scenario: 's' },
      { metric: 'first_content.p50', threshold: '<= 2x baseline', scenario: 's' },
      { metric: 'interruption_rate', threshold: '<= +50pp', scenario: 's' },
      { metric: 'citation_presence', threshold: '>= -50pp', scenario: 's' },
      { metric: 'error_rate', threshold: '<= 50%', scenario: 's' },
    ]);
    const [p95, fc, intr, cit, err] = evaluatePolicy(policy, run, ps, NOW).gates;
    const s = run.summaries[0]!;
    // Gates read the exact samples, the summary its histogram: the same nearest-rank quantile, within the histogram's 0.1 %.
    const near = (a: number | null, b: number) => expect(Math.abs(a! - b)).toBeLessThanOrEqual(b * 0.001 + 1e-9);
    near(p95!.observed.baseline, s.baseline.completionMs!.p95);
    near(p95!.observed.candidate, s.candidate.completionMs!.p95);
    near(fc!.observed.baseline, s.baseline.firstContentMs!.p50);
    near(fc!.observed.candidate, s.candidate.firstContentMs!.p50);
    expect(intr!.observed).toEqual({ baseline: s.baseline.interruptionRate, candidate: s.candidate.interruptionRate });
    expect(cit!.observed).toEqual({ baseline: s.baseline.citations.presenceRate, candidate: s.candidate.citations.presenceRate });
    expect(err!.observed.candidate).toBe(s.candidate.errorRate);
  });

  it('the same run and policy give the same verdict every time (seeded bootstrap)', async () => {
    const ps = pairs(300, (i) => ({ completionMs: 100 + ((i * 7919) % 97) }), (i) => ({ completionMs: 110 + ((i * 104729) % 89) }));
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.05x baseline' }]);
    const a = evaluatePolicy(policy, runOf(ps), ps, NOW);
    const b = evaluatePolicy(policy, runOf(ps), ps, NOW);
    expect(a).toEqual(b);
    expect(a.gates[0]!.interval!.method).toBe('paired bootstrap (2000 resamples, seed 1)');
  });
});
