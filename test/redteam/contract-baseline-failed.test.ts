import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startContractProcess, type ContractProcess } from '../helpers/contract-process.ts';

/**
 * `contract_drift` compares the candidate's answers with the baseline's, but it was judged as an
 * absolute count, so the rule that a baseline failing most of its requests is no reference never
 * reached it. With a service token both backends reject (expired, or a `${API_TOKEN:-…}` default
 * nobody set), every compared pair was the baseline's 401 against the candidate's identical 401:
 * `contract_drift <= 0` passed a candidate that renames a field in every lot it creates. Under
 * load the failed-requests guard passed too (the candidate failed exactly as often as the baseline,
 * in a flow that is a third of the traffic); in a contract-only run there is no load to guard.
 */
describe('contract drift compared with a baseline that failed', () => {
  let fx: ContractProcess;
  const ws = tempWorkspace([{ text: 'hello there' }]);
  beforeAll(async () => {
    // Both accept the service token "svc-good"; the candidate answers lots with `lotCode` for `lot_code` (breaking).
    fx = await startContractProcess([{ apiToken: 'svc-good' }, { apiToken: 'svc-good', drifts: { renamedField: true } }]);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const targets = () => [
    { name: 'old', role: 'baseline', baseUrl: fx.urls[0], routes: { 'chat.ask': 'POST /api/chat/ask' }, stream: 'openai' },
    { name: 'new', role: 'candidate', baseUrl: fx.urls[1], routes: { 'chat.ask': 'POST /api/chat/ask' }, stream: 'openai' },
  ];
  const createLot = (token: string) => ({ route: 'POST /api/lots', headers: { authorization: `Bearer ${token}` }, body: { lot_code: 'LOT-{{unique}}', lot_type: 'RAW' } });
  const rules = { formats: { '/**/created_at': 'iso-datetime', '/id': 'uuid' } };

  async function judge(name: string, config: object, gates: string): Promise<{ code: number; run: RunResult }> {
    const file = path.join(ws.dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    const policy = path.join(ws.dir, `${name}.policy.yaml`);
    writeFileSync(policy, `minSamples: 10\ngates:\n${gates}`);
    const r = await runCli(['run', file, '--policy', policy, '--out', ws.out, '--run-id', name, '--quiet']);
    expect(r.code, r.stderr).not.toBe(3);
    return { code: r.code, run: RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, name, 'run.json'), 'utf8'))) };
  }
  const gate = (run: RunResult, id: string) => run.verdict!.gates.find((g) => g.id === id)!;

  const underLoad = (token: string) => ({
    name: 'lots under load',
    targets: targets(),
    scenarios: [
      { name: 'chat', route: 'chat.ask', weight: 2, prompts: ws.promptsFile, body: { question: '{{prompt}}', session_id: 's-{{iteration}}' } },
      { type: 'request', name: 'lots', weight: 1, ...createLot(token), compare: 'all', rules },
    ],
    load: { vus: 4, iterations: 90, timeouts: { total: '5s' } },
    preflight: { retries: 0, interval: 10 },
  });
  const loadGates = '  - { metric: contract_drift, threshold: "<= 0", scenario: lots }\n  - { metric: completion.p95, threshold: "<= 3x baseline or <= baseline + 50ms", scenario: chat }\n';

  it('under load (a request scenario compared in full): no pass when the baseline answered 401 to every compared pair', async () => {
    const { code, run } = await judge('load-401', underLoad('svc-expired'), loadGates);
    const lots = run.contracts!.find((c) => c.scenario === 'lots')!;
    expect(lots).toMatchObject({ pairs: 30, drifted: 0, baselineFailed: 30 });
    const g = gate(run, 'contract_drift@lots');
    expect(g.status).toBe('inconclusive');
    expect(g.reason).toMatch(/no reference: the baseline failed 30 of 30 compared pairs here/);
    expect(run.verdict!.status).not.toBe('pass');
    expect(code).toBe(2);
  }, 60_000);

  it('under load with the token both accept, the same candidate fails the gate (the drift was there all along)', async () => {
    const { code, run } = await judge('load-ok', underLoad('svc-good'), loadGates);
    expect(gate(run, 'contract_drift@lots')).toMatchObject({ status: 'fail', value: 30 });
    expect(code).toBe(1);
  }, 60_000);

  const contractOnly = (token: string) => ({
    name: 'lots contracts',
    targets: targets(),
    contracts: { rules, flows: [{ name: 'lots', repeat: 12, steps: [{ name: 'create_lot', ...createLot(token) }] }] },
    preflight: { retries: 0, interval: 10 },
  });

  it('a contract-only run: contract_drift.breaking has no reference when the baseline answered 401 to every step', async () => {
    const { code, run } = await judge('contracts-401', contractOnly('svc-expired'), '  - { metric: contract_drift.breaking, threshold: "<= 0" }\n');
    expect(run.contracts![0]).toMatchObject({ pairs: 12, drifted: 0, baselineFailed: 12 });
    const g = gate(run, 'contract_drift.breaking');
    expect(g.status).toBe('inconclusive');
    expect(g.reason).toMatch(/no reference: the baseline failed 12 of 12 compared pairs here/);
    expect(code).toBe(2);
    const ok = await judge('contracts-ok', contractOnly('svc-good'), '  - { metric: contract_drift.breaking, threshold: "<= 0" }\n');
    expect(gate(ok.run, 'contract_drift.breaking')).toMatchObject({ status: 'fail', value: 12 });
    expect(ok.code).toBe(1);
  }, 60_000);

  it('an expected error status is an answer: a negative case whose baseline answers 401 as the step expects still compares', async () => {
    const cfg = contractOnly('svc-expired');
    (cfg.contracts.flows[0]!.steps[0] as Record<string, unknown>).expect = { status: 401 };
    const { run } = await judge('contracts-expected-401', cfg, '  - { metric: contract_drift.breaking, threshold: "<= 0" }\n');
    expect(run.contracts![0]!.baselineFailed ?? 0).toBe(0);
    expect(gate(run, 'contract_drift.breaking')).toMatchObject({ status: 'pass', value: 0 });
  }, 60_000);
});
