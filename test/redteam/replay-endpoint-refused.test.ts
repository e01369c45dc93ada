import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { parityLines } from '../helpers/replay.ts';

/**
 * A replay whose credentials (targets[].headers) cover one API and not another: both backends
 * refuse the admin endpoint (401) on every request, 30% of the capture. The run-wide baseline
 * failed 30%, not most, so no gate was without reference, and the replay PASSED and fired onPass
 * though the candidate's admin endpoint was never compared with anything (here it answers 500 to
 * every authorized request). A scenario whose baseline was refused most of its requests holds the
 * verdict (small-scenario-no-reference.test.ts); a replay's endpoint refused by its baseline
 * (401/403) at the policy's confidence now does too. Other shared failures (real traffic's 404s on
 * both backends) stay parity.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-refused-'));
const servers: Server[] = [];
let config = '';

beforeAll(async () => {
  for (let k = 0; k < 2; k++) {
    const candidate = k === 1;
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url!.startsWith('/admin')) {
          if (req.headers['x-admin'] !== 'yes') res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"admin only"}');
          else res.writeHead(candidate ? 500 : 200, { 'content-type': 'application/json' }).end(candidate ? '{"error":"boom"}' : '{"ok":true}');
        } else if (req.url!.startsWith('/favicon')) res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
  config = path.join(dir, 'replay.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      targets: [
        { name: 'base', role: 'baseline', baseUrl: url(0), routes: {} },
        { name: 'cand', role: 'candidate', baseUrl: url(1), routes: {} },
      ],
      preflight: { retries: 0, interval: 10 },
      outDir: path.join(dir, 'reports'),
    }),
  );
});
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const replay = async (name: string, paths: (i: number) => string) => {
  const file = path.join(dir, `${name}.ndjson`);
  const T = Date.now();
  writeFileSync(file, parityLines(Array.from({ length: 1000 }, (_, i) => ({ t: T + i, method: 'GET', path: paths(i), headers: { accept: 'application/json' } }))));
  const marker = path.join(dir, `${name}.promoted`);
  const policy = path.join(dir, `${name}.policy.yaml`);
  writeFileSync(
    policy,
    [
      'name: relative',
      'minSamples: 100',
      'gates:',
      '  - { metric: error_rate, threshold: "<= +5pp" }',
      '  - { metric: latency.p50, threshold: "<= 1.5x baseline or <= baseline + 50ms" }',
      'hooks:',
      '  onPass:',
      `    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]`,
      '',
    ].join('\n'),
  );
  const r = await runCli(['replay', file, '--config', config, '--policy', policy, '--quiet', '--speed', 'max', '--max-in-flight', '8'], {});
  const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
  return { r, run, marker };
};

describe('parity replay: an endpoint its baseline refused (401) on every request', () => {
  it('30% of the capture refused on both sides: the endpoint holds the verdict (no reference), no promote hook', async () => {
    const { r, run, marker } = await replay('refused', (i) => (i % 10 < 3 ? `/admin/stats?i=${i}` : `/api/items/${i % 7}`));
    const admin = run.endpoints!.find((e) => e.route === 'GET /admin/stats')!;
    expect(admin.baseline.outcomes).toMatchObject({ http_error: 300 });
    const g = run.verdict!.gates.find((x) => x.id === 'failed-requests@route:GET /admin/stats');
    expect(g, run.verdict!.reasons.join('\n')).toMatchObject({ status: 'inconclusive', severity: 'fail' });
    expect(g!.reason).toContain('no reference: the baseline failed 300 of 300 requests here (http_error 401 ×300)');
    expect(run.verdict!.status).toBe('inconclusive');
    expect(r.code, r.stdout).toBe(2);
    expect(() => readFileSync(marker)).toThrow();
  }, 30_000);

  it('an endpoint answered 404 by both backends alike (real traffic) holds nothing back', async () => {
    const { run } = await replay('not-found', (i) => (i % 10 < 3 ? '/favicon.ico' : `/api/items/${i % 7}`));
    expect(run.endpoints!.find((e) => e.route === 'GET /favicon.ico')!.baseline.outcomes).toMatchObject({ http_error: 300 });
    expect(run.verdict!.gates.filter((x) => x.id.startsWith('failed-requests@'))).toEqual([]);
  }, 30_000);
});
