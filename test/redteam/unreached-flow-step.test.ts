import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';
import { lotsFlowConfig, lotsServer } from '../helpers/lots-server.ts';

/**
 * Baseline and candidate on one database (a strangler migration), a flow creating `LOT-{{iteration}}`
 * (not unique per side) and reading it back. The pair's two creates race for one code: the side
 * sent first (alternating) creates it, the other gets 409 and its capture fails, which stops the
 * flow. So every iteration stopped after `create`, each side failing half of them, and `get` was
 * never sent to anyone: no pair, no guard, and a candidate answering 500 to every `get` PASSED
 * (no more failures than the baseline, and nothing else to judge). A configured step that its
 * flow, run n times, reached in none of them (0 of n shown below one half at the policy's
 * confidence) now holds the verdict, its guard naming the step.
 */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

const db = new Set<string>();
const gates = [{ metric: 'latency.p95', threshold: '<= 2x baseline or <= baseline + 50ms', scenario: 'lots', step: 'create' }];

describe('a flow step its flow never reached', () => {
  it('holds the verdict: its guard is inconclusive and names the step', async () => {
    const [b, c] = await Promise.all([lotsServer(servers, { db }), lotsServer(servers, { db, failReads: true })]);
    const cfg = lotsFlowConfig(b, c);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-unreached-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const ps = await out.collectPairs(gatePair);
    expect(ps.length).toBeGreaterThanOrEqual(40);
    expect(ps.filter((p) => p.step === 'get')).toHaveLength(0);
    const v = evaluatePolicy(await policyOf(gates, { minSamples: 30 }), out.result, ps);
    const g = v.gates.find((x) => x.id === 'failed-requests@lots/get');
    expect(g?.status, g?.reason).toBe('inconclusive');
    expect(g!.reason).toMatch(/reached step get in none of its \d+ measured iterations/);
    expect(v.status, v.reasons.join('\n')).toBe('inconclusive');
  }, 30_000);

  it('a tiny flow that never got that far is no evidence either way: not judged, PASS', async () => {
    const ok = () => ({ completionMs: 300 });
    const chat = pairs(3000, ok, ok, 'chat');
    const lots = pairs(2, ok, ok, 'lots').map((p) => ({ ...p, step: 'create' }));
    const all = [...chat, ...lots];
    const run = runOf(all, { config: { scenarios: [{ name: 'chat', route: 'chat' }, { type: 'flow', name: 'lots', steps: [{ name: 'create' }, { name: 'get' }] }] } });
    const v = evaluatePolicy(await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'chat' }], { minSamples: 100 }), run, all.map(gatePair), new Date(0));
    expect(v.gates.find((x) => x.id === 'failed-requests@lots/get')?.status).toBe('unjudged');
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });
});
