import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture, type ContractFixtureOptions } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { preparePolicy } from '../../harness/pipeline/judge.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { Verdict } from '../../harness/run/result.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const open: ContractFixture[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/**
 * The shipped seed packs, end to end against the contract fixtures: the config as shipped (its
 * iteration count made smaller, and every iteration diffed instead of 5%, so the contract gates
 * get their minSamples in a short run), its per-endpoint policy preset, a clean candidate and one
 * with a known fault on one endpoint.
 */
async function runPack(config: string, policy: string, candidate: ContractFixtureOptions, iterations: number): Promise<Verdict> {
  const b = await startContractFixture();
  const c = await startContractFixture(candidate);
  open.push(b, c);
  const file = path.join(ROOT, 'scenarios', config);
  const raw = parseYaml(readFileSync(file, 'utf8')) as { load: Record<string, unknown>; scenarios: Record<string, unknown>[] };
  const { duration: _duration, ...load } = raw.load;
  raw.load = { ...load, iterations, warmup: 0, vus: 10 };
  for (const sc of raw.scenarios) if (sc.type === 'flow') sc.compare = 'all';
  const env = { ...process.env, BASELINE_URL: b.url, CANDIDATE_URL: c.url };
  const loaded = await resolveConfig(raw, file, env);
  const pol = await preparePolicy(policy, loaded, env);
  const out = await runParity(loaded, { outDir: mkdtempSync(path.join(tmpdir(), 'parity-seed-')) });
  expect(out.result.complete).toBe(true);
  const v = evaluatePolicy(pol, out.result, await out.collectPairs(gatePair));
  return v;
}

const status = (v: Verdict, id: string) => {
  const g = v.gates.find((x) => x.id === id);
  if (!g) throw new Error(`no gate ${id}: ${v.gates.map((x) => x.id).join(', ')}`);
  return g.status;
};

describe('seed 003 pack: express → fastapi per endpoint', () => {
  it('a clean candidate fails no gate', async () => {
    const v = await runPack('seed-003-express-to-fastapi.config.yaml', 'seed-003-cutover-endpoints', {}, 300);
    expect(v.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').map((g) => g.reason)).toEqual([]);
    for (const r of ['POST /api/login', 'POST /api/lots', 'GET /api/lots/:lot_id', 'POST /api/lots/:lot_id/qc', 'GET /api/traceability/:lot_id']) {
      expect(status(v, `p50 ${r}`)).toBe('pass');
      expect(status(v, `errors ${r}`)).toBe('pass');
    }
    expect(status(v, 'lots-drift-under-load')).toBe('pass');
    expect(status(v, 'critical-flows')).toBe('pass');
    expect(status(v, 'no-new-redirects')).toBe('pass');
  }, 120_000);

  it('a candidate 40 ms slower on the QC endpoint that loses 2% of its lot writes fails those gates, and only those', async () => {
    const v = await runPack('seed-003-express-to-fastapi.config.yaml', 'seed-003-cutover-endpoints', { routes: { 'POST /api/lots/:id/qc': { delayMs: 40 } }, lostWrites: 0.02 }, 300);
    expect(v.status).toBe('fail');
    expect(status(v, 'p50 POST /api/lots/:lot_id/qc')).toBe('fail');
    for (const r of ['POST /api/login', 'POST /api/lots', 'GET /api/lots/:lot_id', 'GET /api/traceability/:lot_id']) expect(status(v, `p50 ${r}`)).toBe('pass');
    // The lost writes: their read-back, QC and traceability answer 404 on the candidate (exact counts fail at once).
    expect(status(v, 'errors POST /api/lots')).toBe('pass');
    expect(status(v, 'errors GET /api/lots/:lot_id')).not.toBe('pass');
  }, 120_000);
});

describe('seed 001 pack: node → go chat with message endpoints', () => {
  it('a candidate that loses 2% of posted messages fails the persistence gate; 5xx and p95 per endpoint pass', async () => {
    const v = await runPack('seed-001-node-to-go.config.yaml', 'seed-001-node-to-go-endpoints', { lostWrites: 0.02 }, 1000);
    expect(v.status).toBe('fail');
    expect(status(v, 'persisted-messages')).toBe('fail');
    expect(status(v, 'contract-drift-under-load')).toBe('fail');
    for (const r of ['POST /api/login', 'POST /api/threads/:thread/messages', 'GET /api/threads/:thread/messages']) {
      expect(status(v, `5xx-absolute ${r}`)).toBe('pass');
      expect(status(v, `p95-ratio ${r}`)).not.toBe('fail');
    }
  }, 120_000);
});
