import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { renderVerdict } from '../../harness/reporters/verdict.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * A scenario's evidence-only guard is `not judged` when its pairs are too few to show anything,
 * and holds no verdict back: a 2%-weight scenario with 12 healthy pairs never makes a nightly run
 * inconclusive. With exactly one pair, that pair may be all there is of the scenario: a candidate
 * failing it (2 of 2 failing is a FAIL on evidence) or a baseline failing it (nothing compared; 30
 * of 30 is inconclusive) left the scenario with no answer of the candidate compared with one of the
 * baseline, and the run PASSED ("all 3 gates pass"), the verdict's reasons silent on the scenario.
 * A scope none of whose pairs compared two answers is now inconclusive, naming it; a pass names
 * the scopes it did not judge.
 */
const NOW = new Date(0);
const ok = (i: number) => ({ completionMs: 300 + ((i * 37) % 50) });
const failed = { outcome: 'http_error', status: 503, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 } as const;
const judge = async (ps: PairedSample[], insufficient: 'inconclusive' | 'fail' = 'inconclusive') =>
  evaluatePolicy(await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 100, insufficient }), runOf(ps), ps.map(gatePair), NOW);
const guard = (v: Awaited<ReturnType<typeof judge>>) => v.gates.find((g) => g.id === 'failed-requests@export')!;

describe('a scenario with exactly one pair', () => {
  it('its candidate failing the one request: inconclusive naming the scenario, never PASS (fail with insufficient: fail)', async () => {
    const ps = [...pairs(6000, ok, ok, 'chat'), ...pairs(1, ok, () => failed, 'export')];
    const v = await judge(ps);
    expect(guard(v).status, guard(v).reason).toBe('inconclusive');
    expect(guard(v).reason).toMatch(/^failed-requests@export: no answer compared: the candidate answered none of this scope's 1 request \(the baseline 1\)/);
    expect(v.status, v.reasons.join('\n')).toBe('inconclusive');
    expect(v.reasons.some((r) => r.startsWith('INCONCLUSIVE failed-requests@export: '))).toBe(true);
    expect((await judge(ps, 'fail')).status).toBe('fail');
  });

  it('its baseline failing the one request: nothing compared, inconclusive', async () => {
    const ps = [...pairs(6000, ok, ok, 'chat'), ...pairs(1, () => failed, ok, 'export')];
    const v = await judge(ps);
    expect(guard(v).status, guard(v).reason).toBe('inconclusive');
    expect(guard(v).reason).toMatch(/the baseline answered none of this scope's 1 request/);
    expect(v.status).toBe('inconclusive');
  });

  it('healthy on both sides: not judged, and the PASS names it', async () => {
    const ps = [...pairs(6000, ok, ok, 'chat'), ...pairs(1, ok, ok, 'export')];
    const v = await judge(ps);
    expect(guard(v).status).toBe('unjudged');
    expect(v.status, v.reasons.join('\n')).toBe('pass');
    expect(v.reasons[0]).toBe('all 3 gates pass; 1 scope not judged alone (too few pairs to show a pass, no evidence of failure): failed-requests@export (1 pair)');
    expect(renderVerdict(v, { color: false })).toMatch(/not judged alone.*failed-requests@export \(1 pair\)/);
  });

  it('12 pairs with one flaky candidate failure stay not judged (the candidate answered the rest)', async () => {
    const ps = [...pairs(6000, ok, ok, 'chat'), ...pairs(12, ok, (i) => (i === 3 ? failed : ok(i)), 'export')];
    const v = await judge(ps);
    expect(guard(v).status).toBe('unjudged');
    expect(v.status).toBe('pass');
  });
});
