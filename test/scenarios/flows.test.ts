import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture, type ContractFixtureOptions } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';

const open: ContractFixture[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function pair(candidate: ContractFixtureOptions = {}) {
  const b = await startContractFixture();
  const c = await startContractFixture(candidate);
  open.push(b, c);
  return { b, c };
}

const targets = (b: ContractFixture, c: ContractFixture): ConfigInput['targets'] => [
  { name: 'express', role: 'baseline', baseUrl: b.url, routes: {} },
  { name: 'fastapi', role: 'candidate', baseUrl: c.url, routes: {} },
];

type FlowInput = Extract<NonNullable<ConfigInput['scenarios']>[number], { type: 'flow' }>;
const lotsFlow = (over: Partial<FlowInput> = {}): FlowInput => ({
  type: 'flow' as const,
  name: 'lots',
  vars: { code: 'LOT-{{unique}}' },
  steps: [
    { name: 'login', route: 'POST /api/login', body: { email: 'qa@example.test' }, capture: { token: '$.token' } },
    { name: 'create_lot', route: 'POST /api/lots', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: '{{code}}', lot_type: 'RAW' }, capture: { lot_id: '$.id' }, expect: { status: 201 } },
    { name: 'get_lot', route: 'GET /api/lots/{{lot_id}}', headers: { authorization: 'Bearer {{token}}' }, readBack: { step: 'create_lot' } },
  ],
  ...over,
});

async function run(cfg: ConfigInput) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-flow-'));
  return runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
}

describe('flow scenarios under load', () => {
  it('login → create → read-back under 20 VUs: captures never cross targets; 2% lost writes are counted as read-back drift', async () => {
    const { b, c } = await pair({ lostWrites: 0.02 });
    const out = await run({
      targets: targets(b, c),
      scenarios: [lotsFlow({ compare: 'all', noise: true, rules: { formats: { '/**/created_at': 'iso-datetime' } } })],
      load: { vus: 20, iterations: 500 },
      preflight: { retries: 0, interval: 10 },
    });
    expect(out.result.complete).toBe(true);
    // Each target only ever received tokens it issued itself (the replica of compared iterations is
    // the baseline again, its counterweight the candidate again: each target gets every step twice).
    expect(b.receivedTokens.length).toBe(2 * 500 * 2);
    expect(c.receivedTokens.length).toBe(2 * 500 * 2);
    expect(b.receivedTokens.every((t) => b.issuedTokens.has(t))).toBe(true);
    expect(c.receivedTokens.every((t) => c.issuedTokens.has(t))).toBe(true);
    // And the steps of a pair stayed paired: one request id per step on both sides.
    const get = out.pairs.filter((p) => p.step === 'get_lot');
    expect(get).toHaveLength(500);
    expect(get.every((p) => p.baseline.requestId === p.candidate.requestId && p.requestId.endsWith('-get_lot'))).toBe(true);
    // 2% of 500 writes lost: exactly 10 read-backs fail on the candidate, none on the baseline.
    const ep = out.result.endpoints!.find((e) => e.step === 'get_lot')!;
    expect(ep.route).toBe('GET /api/lots/:lot_id');
    expect(ep.candidate.count - ep.candidate.outcomes.ok).toBe(10);
    expect(ep.baseline.outcomes.ok).toBe(500);
    const drift = out.result.contracts!.find((s) => s.underLoad && s.step === 'get_lot')!;
    expect(drift.pairs).toBe(500);
    expect(drift.drifted).toBe(10);
    expect(drift.assertionFailures).toEqual({ baseline: 0, candidate: 10 });
    // The other steps compared clean: tokens, uuids and timestamps were learned as noise.
    for (const step of ['login', 'create_lot']) expect(out.result.contracts!.find((s) => s.step === step)!.drifted).toBe(0);
    const policy = await policyOf([
      { name: 'drift-get', metric: 'contract_drift', threshold: '<= 0', route: 'GET /api/lots/:lot_id' },
      { name: 'drift-create', metric: 'contract_drift', threshold: '<= 0', scenario: 'lots', step: 'create_lot' },
      { name: 'errors', metric: 'error_rate', threshold: '<= 1%', scenario: 'lots', step: 'get_lot' },
    ]);
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(v.gates.filter((g) => g.id !== 'failed-requests').map((g) => [g.id, g.status])).toEqual([
      ['drift-get', 'fail'],
      ['drift-create', 'pass'],
      ['errors', 'fail'],
      // Each step's own guard, on evidence only: the lost writes' read-backs fail there.
      ['failed-requests@lots/login', 'pass'],
      ['failed-requests@lots/create_lot', 'pass'],
      ['failed-requests@lots/get_lot', 'fail'],
    ]);
  }, 120_000);

  it('a failed capture stops the flow: counted as capture_failed, the later steps never sent to either target', async () => {
    const { b, c } = await pair();
    const flow = lotsFlow();
    flow.steps[0] = { ...flow.steps[0]!, capture: { token: '$.access_token' } };
    const out = await run({ targets: targets(b, c), scenarios: [flow], load: { vus: 4, iterations: 40 }, preflight: { retries: 0, interval: 10 } });
    expect(out.result.complete).toBe(true);
    for (const f of [b, c]) {
      expect(f.served.filter((s) => s.route === 'POST /api/login')).toHaveLength(40);
      expect(f.served.filter((s) => s.route !== 'POST /api/login' && s.route !== 'GET /api/health')).toHaveLength(0);
    }
    expect(out.pairs).toHaveLength(40);
    expect(out.pairs.every((p) => p.step === 'login' && p.baseline.outcome === 'capture_failed' && p.candidate.outcome === 'capture_failed')).toBe(true);
    const s = out.result.summaries[0]!;
    expect(s.candidate.outcomes.capture_failed).toBe(40);
    expect(s.candidate.errorRate).toBe(1);
  }, 60_000);

  it('a capture that fails on one target stops the flow on both: the pair stays paired', async () => {
    const { b, c } = await pair({ drifts: { renamedField: true } });
    const flow = lotsFlow();
    // The candidate answers `lotCode` where the baseline answers `lot_code`: the capture fails there only.
    flow.steps[1] = { ...flow.steps[1]!, capture: { lot_id: '$.id', code: '$.lot_code' } };
    const out = await run({ targets: targets(b, c), scenarios: [flow], load: { vus: 2, iterations: 10 }, preflight: { retries: 0, interval: 10 } });
    const create = out.pairs.filter((p) => p.step === 'create_lot');
    expect(create).toHaveLength(10);
    expect(create.every((p) => p.baseline.outcome === 'ok' && p.candidate.outcome === 'capture_failed')).toBe(true);
    expect(out.pairs.filter((p) => p.step === 'get_lot')).toHaveLength(0);
    for (const f of [b, c]) expect(f.served.filter((s) => s.route === 'GET /api/lots/:id')).toHaveLength(0);
  }, 60_000);

  it('runs on worker threads too: flows compiled again in each worker, endpoints and drift merged', async () => {
    const { b, c } = await pair({ lostWrites: 0.05 });
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-flow-w-'));
    const loaded = await resolveConfig(
      { targets: targets(b, c), scenarios: [lotsFlow({ compare: 'all', noise: true, rules: { formats: { '/**/created_at': 'iso-datetime' } } })], load: { vus: 4, iterations: 60 }, preflight: { retries: 0, interval: 10 } },
      path.join(dir, 'inline.json'),
    );
    const out = await runParity(loaded, { outDir: dir, workers: 2 });
    expect(out.result.complete).toBe(true);
    const get = out.result.endpoints!.find((e) => e.step === 'get_lot')!;
    // Every measured iteration ran every step on both targets (with workers a few first iterations can count as warm-up: run.load says how many).
    const n = out.result.load.iterations;
    expect(n + (out.result.load.warmupIterations ?? 0)).toBe(60);
    expect(get.baseline.count).toBe(n);
    // 5% of the candidate's 60 creates lost (3), counted where they were measured, as a failed read-back and as drift.
    const lost = get.candidate.count - get.candidate.outcomes.ok;
    expect(lost).toBeLessThanOrEqual(3);
    expect(out.result.contracts!.find((x) => x.step === 'get_lot')!.drifted).toBe(lost);
    expect(out.pairs.filter((p) => p.step === 'get_lot' && p.candidate.outcome === 'http_error')).toHaveLength(lost);
    expect(c.receivedTokens.every((t) => c.issuedTokens.has(t))).toBe(true);
  }, 60_000);

  it('mixed stream + request + flow scenarios with weights 60/30/10 run their shares within ±2 points over 2,000 iterations', async () => {
    const { b, c } = await pair();
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-mix-'));
    const prompts = path.join(dir, 'prompts.jsonl');
    writeFileSync(prompts, '{"text":"hello there"}\n{"text":"Remember this: blue"}\n');
    const t = targets(b, c).map((x) => ({ ...x, routes: { ask: 'POST /api/chat/ask' }, stream: 'openai' as const }));
    const out = await run({
      targets: t,
      scenarios: [
        { name: 'chat', route: 'ask', prompts, body: { question: '{{prompt}}', session_id: '{{session_id}}' }, weight: 60 },
        { type: 'request', name: 'health', route: 'GET /api/health', weight: 30 },
        lotsFlow({ weight: 10 }),
      ],
      load: { vus: 20, iterations: 2000 },
      preflight: { retries: 0, interval: 10 },
    });
    expect(out.result.complete).toBe(true);
    expect(out.result.load.iterations).toBe(2000);
    const iterations = (name: string) => new Set(out.pairs.filter((p) => p.scenario === name).map((p) => p.iteration)).size;
    expect(Math.abs(iterations('chat') / 2000 - 0.6)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(iterations('health') / 2000 - 0.3)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(iterations('lots') / 2000 - 0.1)).toBeLessThanOrEqual(0.02);
    expect(iterations('chat') + iterations('health') + iterations('lots')).toBe(2000);
    // Every kind measured in the same sinks: streams complete, requests and flow steps ok.
    const sum = (name: string) => out.result.summaries.find((s) => s.scenario === name)!;
    expect(sum('chat').candidate.outcomes.complete).toBe(iterations('chat'));
    expect(sum('health').candidate.outcomes.ok).toBe(iterations('health'));
    expect(sum('lots').candidate.outcomes.ok).toBe(3 * iterations('lots'));
  }, 180_000);
});
