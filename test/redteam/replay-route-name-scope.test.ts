import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * A parity capture (`parity shadow --capture`) names each request's route (the config's logical
 * route: `items`, `checkout`), and a replay summarises its pairs under those names, so a policy may
 * gate one: `error_rate <= +1pp` on route `checkout`. The gate read every replayed pair instead of
 * the route's (a route scope was only narrowed to pairs for `METHOD /path` templates): a candidate
 * answering 500 to every checkout request, 1 in 400 of the capture, PASSED the gate named for
 * checkout and fired the promote hook.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-route-name-'));
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

describe('parity replay of a parity capture, a gate scoped to one of its route names', () => {
  it('every checkout request failing on the candidate: the checkout gate does not pass, no promote hook', async () => {
    const file = path.join(dir, 'capture.ndjson');
    const T = Date.now();
    const lines = Array.from({ length: 2000 }, (_, i) => {
      const checkout = i % 400 === 200;
      return JSON.stringify({ t: T + i, requestId: `r-${i}`, route: checkout ? 'checkout' : 'items', method: 'GET', path: checkout ? `/api/checkout/${i}` : `/api/items/${i % 7}`, headers: { accept: 'application/json' } });
    });
    writeFileSync(file, lines.join('\n') + '\n');
    const marker = path.join(dir, 'promoted');
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'name: checkout',
        'minSamples: 5',
        'failedRequests: "<= +1pp"',
        'gates:',
        '  - { name: checkout-errors, metric: error_rate, threshold: "<= +1pp", route: checkout }',
        'hooks:',
        '  onPass:',
        `    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['replay', file, '--config', config, '--policy', policy, '--quiet', '--speed', 'max'], {});
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    // Ten checkout pairs, each answered 500 by the candidate only.
    const checkout = run.endpoints!.find((e) => e.route === 'checkout')!;
    expect(checkout.candidate.outcomes).toMatchObject({ http_error: 5 });
    expect(checkout.baseline.outcomes).toMatchObject({ ok: 5 });
    const gate = run.verdict!.gates.find((g) => g.id === 'checkout-errors')!;
    expect(gate.samples.candidate, gate.reason).toBe(5);
    expect(gate.status, gate.reason).toBe('fail');
    expect(run.verdict!.status).toBe('fail');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(() => readFileSync(marker)).toThrow();
  }, 30_000);
});
