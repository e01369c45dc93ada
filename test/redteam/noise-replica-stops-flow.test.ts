import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';
import { lotsFlowConfig, lotsServer } from '../helpers/lots-server.ts';

/**
 * A flow under load with `compare: all` and `noise: true` (the README's example) runs every
 * iteration a third time on the baseline, the noise replica. Its lot code is `LOT-{{iteration}}`,
 * the same on every side: the baseline creates LOT-7 for the baseline side, then refuses the
 * replica's second LOT-7 (409). The replica's failed capture stopped the flow on every side, so
 * the later step (`get`) was never sent to anyone, and a candidate answering 500 to every `get`
 * passed: the pairs held only the create step, where both answered, and no guard had a `get`
 * pair to count. The replica only measures noise: when its capture fails it leaves the flow (it
 * never sends an empty id) and the pair goes on.
 */
const servers: http.Server[] = [];
let candidateGets = 0;

describe('a noise replica whose capture fails does not stop the pair', () => {
  let out: RunOutput;
  beforeAll(async () => {
    const [b, c] = await Promise.all([lotsServer(servers, { db: new Set() }), lotsServer(servers, { db: new Set(), failReads: true, onRead: () => candidateGets++ })]);
    const cfg = lotsFlowConfig(b, c, { compare: 'all', noise: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-stop-'));
    out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('the later step reaches the candidate, and its failures fail the run', async () => {
    const measured = out.result.load.iterations;
    expect(measured).toBeGreaterThanOrEqual(60);
    const get = out.pairs.filter((p) => p.step === 'get');
    // Every iteration whose pair created its lot goes on to `get`. The baseline's create is sent
    // before the replica's and nearly always wins their code; when it loses, the baseline's own
    // capture fails and that pair stops, as it must.
    expect(get.length, 'get pairs').toBeGreaterThanOrEqual(Math.floor(measured * 0.75));
    expect(candidateGets).toBeGreaterThanOrEqual(get.length);
    expect(get.every((p) => p.candidate.outcome === 'http_error' && p.candidate.status === 500)).toBe(true);
    const policy = await policyOf([{ metric: 'latency.p95', threshold: '<= 2x baseline or <= baseline + 50ms', scenario: 'lots', step: 'create' }], { minSamples: 30 });
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(v.status, v.reasons.join('\n')).toBe('fail');
    expect(v.gates.find((g) => g.id === 'failed-requests@lots/get')?.status).toBe('fail');
    expect(v.gates.find((g) => g.id === 'failed-requests')?.status).toBe('fail');
  });
});
