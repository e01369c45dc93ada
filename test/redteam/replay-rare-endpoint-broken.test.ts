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
 * A replay is one scenario, `replay`, its pairs summarised per endpoint; the failed-requests guard
 * pooled every replayed pair. A rare endpoint of real traffic (checkout, 1 request in 1000) whose
 * candidate answered 500 to every request moved the run-wide error rate by 0.1 pp, inside the
 * +0.5 pp margin: PASS, and the promote hook fired, with no gate naming checkout. Scenarios and
 * flow steps have a guard of their own that fails on evidence (small-scenario-failures.test.ts);
 * a replay's endpoints now do too, reported when they fail.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-rare-endpoint-'));
const servers: Server[] = [];
let config = '';

beforeAll(async () => {
  for (let k = 0; k < 2; k++) {
    const candidate = k === 1;
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const broken = candidate && req.url!.startsWith('/api/checkout');
        res.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' }).end(broken ? '{"error":"boom"}' : '{"ok":true}');
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

const policyFile = (marker: string) => {
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(
    file,
    [
      'name: relative',
      'minSamples: 100',
      'gates:',
      '  - { metric: latency.p95, threshold: "<= 1.5x baseline or <= baseline + 50ms" }',
      'hooks:',
      '  onPass:',
      `    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]`,
      '',
    ].join('\n'),
  );
  return file;
};

describe('parity replay: a rare endpoint broken entirely on the candidate', () => {
  it('checkout, 3 of 3000 requests, every one 500 on the candidate only: FAIL naming the endpoint, no promote hook', async () => {
    const file = path.join(dir, 'capture.ndjson');
    const T = Date.now();
    const reqs = Array.from({ length: 3000 }, (_, i) => ({ t: T + i, method: 'GET', path: i % 1000 === 500 ? `/api/checkout?cart=${i}` : `/api/items/${i % 7}`, headers: { accept: 'application/json' } }));
    writeFileSync(file, parityLines(reqs));
    const marker = path.join(dir, 'promoted');
    const r = await runCli(['replay', file, '--config', config, '--policy', policyFile(marker), '--quiet', '--speed', 'max'], {});
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    const checkout = run.endpoints!.find((e) => e.route === 'GET /api/checkout')!;
    expect(checkout.candidate.outcomes).toMatchObject({ http_error: 3 });
    expect(checkout.baseline.outcomes).toMatchObject({ ok: 3 });
    // What passed: the run-wide guard pools the 3000 pairs (0.1 pp).
    expect(run.verdict!.gates.find((g) => g.id === 'failed-requests')?.status).not.toBe('fail');
    const g = run.verdict!.gates.find((x) => x.id === 'failed-requests@route:GET /api/checkout');
    expect(g, run.verdict!.reasons.join('\n')).toMatchObject({ status: 'fail', severity: 'fail', route: 'GET /api/checkout' });
    expect(run.verdict!.status).toBe('fail');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(() => readFileSync(marker)).toThrow();
    // The healthy endpoints add no gate of their own (only a failing endpoint is reported).
    expect(run.verdict!.gates.filter((x) => x.id.startsWith('failed-requests@'))).toHaveLength(1);
  }, 30_000);
});
