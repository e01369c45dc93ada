import { describe, expect, it } from 'vitest';
import { failsSoFar } from '../../harness/gates/early.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/** A shadow window as it fills: no server-side series yet (they are read at its close). */
const filling = (ps: ReturnType<typeof pairs>): RunResult => runOf(ps, { endedAt: null });
const serverSeries = (candidateMax: number): RunResult['serverMetrics'] => ({
  startedAt: new Date(0).toISOString(),
  endedAt: new Date(1000).toISOString(),
  series: (['baseline', 'candidate'] as const).map((role) => ({
    name: 'queue',
    target: role === 'baseline' ? 'base' : 'cand',
    role,
    source: 'prometheus' as const,
    query: 'q',
    value: role === 'candidate' ? candidateMax : 10,
    points: [[0, role === 'candidate' ? candidateMax : 10]] as [number, number][],
    stats: { max: role === 'candidate' ? candidateMax : 10, min: 10, mean: 10, last: 10, p95: 10, growth: 0, slope: 0 },
  })),
});

describe('judging data still coming in (shadow abortCheck, sweep early stop)', () => {
  it('a server gate with no data yet never ends a window early, not even under insufficient: fail', async () => {
    const policy = await policyOf([{ metric: 'server.queue.max', threshold: '< 100' }], { insufficient: 'fail' });
    const ps = pairs(50, () => ({}), () => ({}));
    // The whole-window judgement would fail it for lack of data ...
    expect(evaluatePolicy(policy, filling(ps), ps.map(gatePair)).status).toBe('fail');
    // ... which is no evidence against the candidate: the window goes on.
    expect(failsSoFar(policy, filling(ps), ps.map(gatePair))).toBeNull();
    // Once the series are there and beyond the limit, it fails on evidence.
    expect(failsSoFar(policy, { ...filling(ps), serverMetrics: serverSeries(150) }, ps.map(gatePair))?.status).toBe('fail');
    expect(failsSoFar(policy, { ...filling(ps), serverMetrics: serverSeries(20) }, ps.map(gatePair))).toBeNull();
  });

  it('fails on an interval entirely beyond its limit, with enough samples, as the full judgement does', async () => {
    const policy = await policyOf([{ metric: 'first_content.p95', threshold: '<= 500ms' }], { minSamples: 20, insufficient: 'fail' });
    const slow = pairs(40, () => ({ firstContentMs: 50 }), () => ({ firstContentMs: 900 }));
    expect(failsSoFar(policy, filling(slow), slow.map(gatePair))?.gates.find((g) => g.metric === 'first_content.p95')?.status).toBe('fail');
    const few = slow.slice(0, 10);
    expect(failsSoFar(policy, filling(few), few.map(gatePair))).toBeNull();
  });
});
