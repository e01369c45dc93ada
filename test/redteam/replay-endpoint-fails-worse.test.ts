import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * A replay's endpoint guard counts every failure alike, and an endpoint failing on both sides
 * holds nothing back (real traffic's 404s on both backends are parity). An endpoint the baseline
 * answers 404 (a path it no longer serves) and the candidate 500 on every request "failed as
 * often" on both sides: the replay PASSED and fired the promote hook. Failing alike is parity; a
 * 4xx answered against a 5xx or no answer is not: such an endpoint fails on evidence.
 */
const e = (status: number) => ({ outcome: 'http_error', status, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 }) as const;
const ok = (i: number) => ({ completionMs: 300 + ((i * 37) % 50) });
const replayRun = (ps: PairedSample[]): RunResult => runOf(ps, { load: { ...runOf(ps).load, model: 'replay' } });
const judge = async (old: PairedSample[]) => {
  const ps = [...pairs(2000, ok, ok, 'replay').map((p) => ({ ...p, route: 'items' })), ...old.map((p) => ({ ...p, route: 'old' }))];
  return evaluatePolicy(await policyOf([{ metric: 'latency.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50 }), replayRun(ps), ps.map(gatePair), new Date(0));
};

describe('a replayed endpoint failing on both sides, not alike', () => {
  it('baseline 404, candidate 500 on all 50: FAIL naming the endpoint', async () => {
    const v = await judge(pairs(50, () => e(404), () => e(500), 'replay'));
    const g = v.gates.find((x) => x.id === 'failed-requests@route:old');
    expect(g?.status, v.reasons.join('\n')).toBe('fail');
    expect(g!.reason).toMatch(/the candidate failed 50 of 50 requests here with a server error or no answer .*, the baseline 0/);
    expect(v.status).toBe('fail');
  });

  it('404 on both sides, or 500 on both: parity, nothing held back', async () => {
    for (const s of [404, 500]) {
      const v = await judge(pairs(50, () => e(s), () => e(s), 'replay'));
      expect(v.gates.find((x) => x.id === 'failed-requests@route:old'), String(s)).toBeUndefined();
      expect(v.status, v.reasons.join('\n')).toBe('pass');
    }
  });

  it('one 500 against a 404 in 50 is no evidence', async () => {
    const v = await judge(pairs(50, () => e(404), (i) => e(i === 7 ? 500 : 404), 'replay'));
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });
});

let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-fails-worse-', (candidate, req, res) => {
    if (req.url!.startsWith('/api/old')) res.writeHead(candidate ? 500 : 404, { 'content-type': 'application/json' }).end('{"error":"x"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
afterAll(() => rig.close());

describe('parity replay end to end', () => {
  it('an old path the baseline answers 404 and the candidate 500: no pass, no promote hook', async () => {
    const T = Date.now();
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ t: T + i, requestId: `r-${i}`, method: 'GET', path: i % 50 === 25 ? '/api/old' : '/api/items', headers: { accept: 'application/json' } }));
    const { run, promoted } = await rig.replay('old', lines.join('\n') + '\n', ['name: old', 'minSamples: 5', 'gates:', '  - { metric: latency.p50, threshold: "<= 2x baseline" }']);
    const g = run.verdict!.gates.find((x) => x.id === 'failed-requests@route:GET /api/old');
    expect(g?.status, run.verdict!.reasons.join('\n')).toBe('fail');
    expect(run.verdict!.status).toBe('fail');
    expect(promoted).toBe(false);
  }, 30_000);
});
