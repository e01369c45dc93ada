import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture } from '../../fixtures/backends/contract-backend.ts';
import { main } from '../../harness/cli.ts';
import { ExitCode } from '../../harness/errors.ts';
import { RunResult } from '../../harness/run/result.ts';
import { captureIO } from '../helpers/cli.ts';

/**
 * A request scenario and a flow run from the CLI with a per-endpoint policy: run.json's endpoints,
 * the Markdown endpoints table, the terminal's groups by scenario and step, and one CDF per
 * endpoint in the HTML report, all from the same run.
 */
describe('per-endpoint reports', () => {
  let b: ContractFixture;
  let c: ContractFixture;
  let dir: string;
  let stdout: string;
  let code: number;
  let run: RunResult;
  beforeAll(async () => {
    b = await startContractFixture();
    c = await startContractFixture({ routes: { 'POST /api/lots': { delayMs: 15, errorRate: 0.1 } } });
    dir = mkdtempSync(path.join(tmpdir(), 'parity-epr-'));
    const cfg = {
      name: 'lots under load',
      targets: [
        { name: 'express', role: 'baseline', baseUrl: b.url, routes: {} },
        { name: 'fastapi', role: 'candidate', baseUrl: c.url, routes: {} },
      ],
      scenarios: [
        { type: 'request', name: 'health', route: 'GET /api/health', weight: 1 },
        {
          type: 'flow',
          name: 'lots',
          weight: 1,
          vars: { code: 'LOT-{{unique}}' },
          steps: [
            { name: 'login', route: 'POST /api/login', body: { email: 'qa@x.test' }, capture: { token: '$.token' } },
            { name: 'create_lot', route: 'POST /api/lots', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: '{{code}}', lot_type: 'RAW' }, expect: { status: 201 } },
          ],
        },
      ],
      load: { vus: 4, iterations: 120 },
      preflight: { retries: 0, interval: 10 },
    };
    writeFileSync(path.join(dir, 'parity.config.json'), JSON.stringify(cfg));
    writeFileSync(
      path.join(dir, 'policy.yaml'),
      ['minSamples: 20', 'gates:', '  - { name: create-p50, metric: latency.p50, threshold: "<= 1.5x baseline", scenario: lots, step: create_lot }', '  - { name: create-5xx, metric: status_5xx_rate, threshold: "<= 0.5%", route: "POST /api/lots" }', '  - { name: health-errors, metric: error_rate, threshold: "<= 5%", route: "GET /api/health" }'].join('\n'),
    );
    const cap = captureIO();
    code = await main(['run', path.join(dir, 'parity.config.json'), '--policy', path.join(dir, 'policy.yaml'), '--out', path.join(dir, 'reports'), '--run-id', 'r1', '--quiet'], cap.io);
    stdout = cap.out;
    run = RunResult.parse(JSON.parse(readFileSync(path.join(dir, 'reports/r1/run.json'), 'utf8')));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([b?.close(), c?.close()]);
  });

  it('judges per step and per route from the CLI: the slow, failing create step fails; health passes', () => {
    expect(code).toBe(ExitCode.fail);
    const g = (id: string) => run.verdict!.gates.find((x) => x.id === id)!;
    expect(g('create-p50').status).toBe('fail');
    expect(g('create-p50').step).toBe('create_lot');
    expect(g('create-5xx').status).toBe('fail');
    expect(g('health-errors').status).toBe('pass');
  });

  it('run.json has one endpoint per scenario, step and route, with status classes', () => {
    expect(run.endpoints!.map((e) => [e.scenario, e.step, e.route])).toEqual([
      ['health', null, 'GET /api/health'],
      ['lots', 'login', 'POST /api/login'],
      ['lots', 'create_lot', 'POST /api/lots'],
    ]);
    const create = run.endpoints![2]!;
    expect(create.candidate.statusClasses!['5xx']).toBe(6);
    expect(create.candidate.statusClasses!['2xx']).toBe(54);
  });

  it("a one-step scenario's endpoint summarizes exactly its samples (read from its scenario's accumulators, not a second copy)", () => {
    const lines = readFileSync(path.join(dir, 'reports/r1/samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { route?: string; baseline: { outcome: string; completionMs?: number } });
    const health = lines.filter((p) => p.route === 'GET /api/health');
    const endpoint = run.endpoints![0]!;
    const scenario = run.summaries.find((s) => s.scenario === 'health')!;
    expect(endpoint.baseline.count).toBe(health.length);
    expect(endpoint.baseline.outcomes.ok).toBe(health.filter((p) => p.baseline.outcome === 'ok').length);
    const slowest = Math.max(...health.map((p) => p.baseline.completionMs ?? 0));
    expect(endpoint.baseline.serviceTime!.completionMs!.max).toBeCloseTo(slowest, 0);
    for (const role of ['baseline', 'candidate'] as const) expect({ ...endpoint[role], dropped: 0 }).toEqual({ ...scenario[role], dropped: 0 });
    // The flow's endpoints are their own: each step's samples only.
    expect(run.endpoints![1]!.baseline.count).toBe(lines.filter((p) => p.route === 'POST /api/login').length);
  });

  it('the Markdown summary has an endpoints table with p50/p95/p99 per target, deltas, status classes and errors', () => {
    const md = readFileSync(path.join(dir, 'reports/r1/summary.md'), 'utf8');
    expect(md).toMatch(/## Endpoints/);
    expect(md).toMatch(/\| `lots \/ create_lot` \| `POST \/api\/lots` \| 60 \/ 60 \| [\d.]+ → [\d.]+ \(\+\d+\.\d%\)/);
    expect(md).toMatch(/2xx 54 · 5xx 6/);
    expect(md).toMatch(/\| 6 \(10%\) \|/);
  });

  it('the terminal summary groups the endpoints by scenario, then step', () => {
    const at = stdout.indexOf('endpoints (whole response');
    expect(at).toBeGreaterThan(0);
    const block = stdout.slice(at).split('\n');
    expect(block[1]).toBe('  health');
    expect(block[2]).toMatch(/^ {4}GET \/api\/health/);
    expect(block[3]).toBe('  lots');
    expect(block[4]).toMatch(/^ {4}login +POST \/api\/login/);
    expect(block[5]).toMatch(/^ {4}create_lot +POST \/api\/lots .*errors 0 → 6 \(10%\)/);
  });

  it('the HTML report draws a CDF per endpoint', () => {
    const html = readFileSync(path.join(dir, 'reports/r1/report.html'), 'utf8');
    expect(html).toMatch(/<section class="endpoints">/);
    for (const id of ['cdf-endpoint-0-health', 'cdf-endpoint-1-lots-login', 'cdf-endpoint-2-lots-create_lot']) expect(html).toContain(`data-chart="${id}"`);
  });
});
