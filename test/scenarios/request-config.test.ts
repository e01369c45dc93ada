import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { ExitCode } from '../../harness/errors.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { SampleSpool } from '../../harness/run/sample-spool.ts';
import { captureIO } from '../helpers/cli.ts';
import { startCountingServer } from '../helpers/counting-server.ts';
import { pairs, policyOf, runOf, stream } from '../helpers/gates.ts';

type Cfg = Record<string, unknown> & { scenarios: Record<string, unknown>[] };

describe('a bad request or flow scenario stops before any traffic (exit 3, file + path + fix)', () => {
  let server: Awaited<ReturnType<typeof startCountingServer>>;
  beforeAll(async () => {
    server = await startCountingServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const base = (): Cfg => ({
    targets: [
      { name: 'base', role: 'baseline', baseUrl: server.url, routes: { 'lots.create': 'POST /api/lots' } },
      { name: 'cand', role: 'candidate', baseUrl: server.url, routes: { 'lots.create': 'POST /api/lots' } },
    ],
    scenarios: [
      { type: 'request', name: 'health', route: 'GET /api/health' },
      {
        type: 'flow',
        name: 'lots',
        steps: [
          { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } },
          { name: 'create', route: 'lots.create', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: 'L-{{unique}}' } },
        ],
      },
    ],
    load: { vus: 1, iterations: 4 },
    preflight: { retries: 0, interval: 10 },
  });

  async function runWith(mutate: (c: Cfg) => void) {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-reqcfg-'));
    const file = path.join(dir, 'parity.config.json');
    const cfg = base();
    mutate(cfg);
    writeFileSync(file, JSON.stringify(cfg));
    const cap = captureIO();
    const code = await main(['run', file, '--out', path.join(dir, 'reports'), '--quiet'], cap.io);
    return { code, stderr: cap.err, file };
  }

  const flowSteps = (c: Cfg) => (c.scenarios[1] as { steps: Record<string, unknown>[] }).steps;
  const cases: [string, (c: Cfg) => void, RegExp[]][] = [
    ['a capture used before any step makes it', (c) => (flowSteps(c)[0]!.headers = { authorization: 'Bearer {{token}}' }), [/→ at scenarios\[1\]\.steps\[0\]\.headers\.authorization/, /used before it is captured/]],
    ['a variable nobody captures', (c) => (flowSteps(c)[1]!.body = { lot_code: '{{lot}}' }), [/→ at scenarios\[1\]\.steps\[1\]\.body/, /"\{\{lot\}\}" is never defined/]],
    ['an unknown route', (c) => ((c.scenarios[0] as Record<string, unknown>).route = 'lots.get'), [/→ at scenarios\[0\]\.route/, /route "lots\.get" is not in the route map of target "base"/]],
    ['an unknown route in a flow step', (c) => (flowSteps(c)[1]!.route = 'lots.delete'), [/→ at scenarios\[1\]\.steps\[1\]\.route/, /"lots\.delete" is not in the route map/]],
    ['a weight of 0', (c) => ((c.scenarios[0] as Record<string, unknown>).weight = 0), [/→ at scenarios\[0\]\.weight/, /weight must be above 0/]],
    ['a negative weight', (c) => ((c.scenarios[1] as Record<string, unknown>).weight = -5), [/→ at scenarios\[1\]\.weight/, /weight must be above 0/]],
    ['a stream-only field on a request scenario', (c) => ((c.scenarios[0] as Record<string, unknown>).prompts = 'prompts.jsonl'), [/→ at scenarios\[0\]\.prompts/, /stream-scenario field; a request scenario cannot use it/]],
    ['sessionId on a flow', (c) => ((c.scenarios[1] as Record<string, unknown>).sessionId = 's-{{iteration}}'), [/→ at scenarios\[1\]\.sessionId/, /flow var/]],
    ['an unknown scenario type', (c) => ((c.scenarios[0] as Record<string, unknown>).type = 'rest'), [/→ at scenarios\[0\]/, /expected type "stream" \(default\), "request" or "flow"/]],
    ['a bad compare share', (c) => ((c.scenarios[0] as Record<string, unknown>).compare = 'some'), [/→ at scenarios\[0\]\.compare/, /"5%"/]],
  ];

  it.each(cases)('%s', async (_name, mutate, patterns) => {
    const before = server.count();
    const { code, stderr, file } = await runWith(mutate);
    expect(code).toBe(ExitCode.error);
    expect(stderr).toContain(file);
    expect(stderr).toContain('PARITY_CONFIG_INVALID');
    for (const p of patterns) expect(stderr).toMatch(p);
    expect(server.count()).toBe(before);
  });
});

describe('request samples in the spool and the gates', () => {
  it('the spool carries a step and a route template', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-reqspool-'));
    const file = path.join(dir, 'samples.ndjson');
    const spool = new SampleSpool(file);
    const sample = (role: 'baseline' | 'candidate', outcome: PairedSample['baseline']['outcome']) =>
      stream({ role, target: role === 'baseline' ? 'b' : 'c', scenario: 'lots', requestId: 'r-1-create', iteration: 1, outcome, step: 'create', route: 'POST /api/lots', gapsMs: [] });
    const pair: PairedSample = { requestId: 'r-1-create', scenario: 'lots', iteration: 1, step: 'create', route: 'POST /api/lots', baseline: sample('baseline', 'ok'), candidate: sample('candidate', 'capture_failed') };
    spool.write(pair);
    await spool.end();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(pair);
  });

  it('an exact count beyond its limit fails whatever minSamples says: contract_drift <= 0 with 4 drifts in 6 pairs', async () => {
    const ps = pairs(6, () => ({}), () => ({}));
    const contracts = [{ scenario: 's', step: 'get', pairs: 6, identical: 2, drifted: 4, drift: [], noise: [], assertionFailures: { baseline: 0, candidate: 0 }, artifact: null, curl: null, underLoad: true }];
    const run = runOf(ps, { contracts });
    const policy = await policyOf([{ metric: 'contract_drift', threshold: '<= 0' }], { minSamples: 100 });
    const v = evaluatePolicy(policy, run, ps.map(gatePair));
    expect(v.gates[0]!.status).toBe('fail');
    expect(v.status).toBe('fail');
    // Within its limit on too few samples it is still not a pass.
    const clean = runOf(ps, { contracts: [{ ...contracts[0]!, drifted: 0, identical: 6 }] });
    expect(evaluatePolicy(policy, clean, ps.map(gatePair)).gates[0]!.status).toBe('inconclusive');
  });

  it('a latency gate never passes a candidate whose requests fail: failures count as slower than any answer', async () => {
    // 10% of the candidate's requests fail fast (HTTP 503 in 1 ms); the answers it gives are as fast as the baseline's.
    const ps = pairs(
      400,
      () => ({ outcome: 'ok', completionMs: 50, route: 'GET /x' }),
      (i) => (i % 10 === 0 ? { outcome: 'http_error', status: 503, completionMs: undefined, endMs: 1, route: 'GET /x' } : { outcome: 'ok', completionMs: 50, route: 'GET /x' }),
    );
    const policy = await policyOf([
      { name: 'p95', metric: 'latency.p95', threshold: '<= 1.2x baseline' },
      { name: 'p50', metric: 'latency.p50', threshold: '<= 1.2x baseline' },
      { name: 'errors', metric: 'error_rate', threshold: '<= 1%' },
    ]);
    const v = evaluatePolicy(policy, runOf(ps), ps.map(gatePair));
    const g = (id: string) => v.gates.find((x) => x.id === id)!;
    expect(g('p95').status).toBe('fail');
    expect(g('p50').status).toBe('pass');
    expect(g('errors').status).toBe('fail');
    expect(g('errors').observed.candidate).toBeCloseTo(0.1, 5);
    expect(v.status).toBe('fail');
  });
});
