import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { renderPlan } from '../../harness/reporters/plan.ts';
import { runParity } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';
import { loadSensitive } from '../helpers/load-server.ts';
import { testServers } from '../helpers/servers.ts';

/**
 * `noise: true` sends each compared step a second time to the baseline (the noise replica). With
 * `compare: all` the baseline carried twice the requests the candidate did: near saturation its
 * latency grew with that extra load, and every latency ratio gate read the candidate against a
 * baseline slowed by the harness. A candidate 2x slower per request than its baseline answered,
 * at the rate it was given, in the time the doubly loaded baseline did, and
 * `latency.p50 <= 1.25x baseline` passed. The replica's step now has a counterpart on the
 * candidate (sent at the same moment, its answer dropped): each target carries the same requests.
 */
type Scenario = NonNullable<ConfigInput['scenarios']>[number];
const servers = testServers();
afterAll(() => servers.close());

function config(b: string, c: string, scenario: Scenario, rate: number): ConfigInput {
  return {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
      { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
    ],
    scenarios: [scenario],
    load: { model: 'constant-arrival-rate', rate, duration: '3s', warmup: '500ms', maxInFlight: 100, timeouts: { total: '10s' } },
    preflight: { retries: 0, interval: 10 },
  };
}

describe('noise learning loads both targets alike', () => {
  it('each target receives the same requests, and a candidate 2x slower fails a 1.25x latency gate', async () => {
    // 40 starts/s: 10 in a window of 250 ms. A target fed only the pairs waits 5x its own time per
    // request; fed twice that, 9x. The candidate's own time is twice the baseline's: fed as the
    // baseline is, it answers 2x slower; fed half, it read as 1.1x (less, the client's own time
    // added to both sides).
    const load = { windowMs: 250, perWindow: 2.5 };
    const base = loadSensitive({ perRequestMs: 10, ...load });
    const cand = loadSensitive({ perRequestMs: 20, ...load });
    const [b, c] = await Promise.all([servers.start(base.handler), servers.start(cand.handler)]);
    const cfg = config(b, c, { type: 'request', name: 'lot', route: 'GET /api/lots/LOT-1', compare: 'all', noise: true }, 40);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-load-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    expect(out.result.load.iterations).toBeGreaterThanOrEqual(80);
    // Server-side counts: the replica went to the baseline, its counterpart to the candidate.
    expect(base.count(), `baseline ${base.count()}, candidate ${cand.count()}`).toBe(cand.count());
    expect(base.count()).toBeGreaterThanOrEqual(2 * out.result.load.iterations);
    // Per request at equal load the candidate is 2x slower: the gate must see it.
    const policy = await policyOf([{ metric: 'latency.p50', threshold: '<= 1.25x baseline' }], { minSamples: 30 });
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    const g = v.gates.find((x) => x.id === 'latency.p50')!;
    expect(g.status, g.reason).toBe('fail');
    expect(v.status).toBe('fail');
  }, 60_000);

  it('when either copy’s capture fails both leave the flow, so the later steps load both targets alike', async () => {
    // The lot code is the same on every side. The baseline accepts a repeated code; the candidate
    // refuses it (409), so the candidate's copy of the create finds no id. The baseline's replica
    // went on alone to `get`: one more request on the baseline per iteration.
    const answer = (unique: boolean) => {
      const db = new Set<string>();
      return (req: { method?: string; url?: string }, body: string) => {
        if (req.method === 'POST') {
          const code = (JSON.parse(body) as { code: string }).code;
          if (unique && db.has(code)) return { status: 409, body: { error: 'lot code exists' } };
          db.add(code);
          return { status: 201, body: { id: code } };
        }
        return { status: 200, body: { id: req.url!.slice(req.url!.lastIndexOf('/') + 1) } };
      };
    };
    const base = loadSensitive({ perRequestMs: 1, windowMs: 250, perWindow: 1000, answer: answer(false) });
    const cand = loadSensitive({ perRequestMs: 1, windowMs: 250, perWindow: 1000, answer: answer(true) });
    const [b, c] = await Promise.all([servers.start(base.handler), servers.start(cand.handler)]);
    const flow: Scenario = {
      type: 'flow',
      name: 'lots',
      compare: 'all',
      noise: true,
      vars: { code: 'LOT-{{iteration}}' },
      steps: [
        { name: 'create', route: 'POST /lots', body: { code: '{{code}}' }, capture: { id: '$.id' } },
        { name: 'get', route: 'GET /lots/{{id}}' },
      ],
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-leave-'));
    const out = await runParity(await resolveConfig(config(b, c, flow, 30), path.join(dir, 'inline.json')), { outDir: dir });
    const measured = out.result.load.iterations;
    expect(measured).toBeGreaterThanOrEqual(60);
    // The pair itself never meets the candidate's copy: every create pair answered 201 on both sides.
    const creates = out.pairs.filter((p) => p.step === 'create');
    expect(creates.every((p) => p.baseline.status === 201 && p.candidate.status === 201)).toBe(true);
    expect(out.pairs.filter((p) => p.step === 'get').length).toBe(creates.length);
    expect(Object.fromEntries(base.counts), 'baseline requests by method').toEqual(Object.fromEntries(cand.counts));
  }, 60_000);

  it('the plan says what noise learning adds to each target’s load', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-plan-'));
    const cfg = config('http://127.0.0.1:1', 'http://127.0.0.1:2', { type: 'request', name: 'lot', route: 'GET /api/lots/LOT-1', compare: '5%', noise: true }, 40);
    const plan = renderPlan(await resolveConfig(cfg, path.join(dir, 'inline.json')), undefined);
    expect(plan).toMatch(/lot: request, .*5% of pairs diffed\n {4}noise learning: each diffed step is sent a second time to both targets .*\+5% of this scenario's requests on each target/);
  });
});
