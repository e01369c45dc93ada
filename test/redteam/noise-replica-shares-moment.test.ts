import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';

/**
 * `noise: true` runs a compared iteration a second time on the baseline (the noise replica). Its
 * request went out in the same tick as the pair's, to the same baseline server: on a backend that
 * shares its CPU between the requests it is serving (threads on a few cores, processor sharing),
 * the baseline's request of every compared pair ran beside the replica's and took twice as long,
 * while the candidate's ran alone. With `compare: all` that is every pair: a candidate 1.7× slower
 * than its baseline read as faster, and `latency.p50 <= 1.3x baseline` passed. The replica's
 * request now goes once the pair has answered: the baseline's never shares its moment with it.
 */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

/** Processor sharing: each request needs `workMs` of the server, which splits its time evenly between the requests it holds. */
function sharingServer(workMs: number): Promise<string> {
  const jobs = new Set<{ left: number; done: () => void }>();
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    const share = (now - last) / Math.max(1, jobs.size);
    last = now;
    for (const j of jobs) {
      j.left -= share;
      if (j.left <= 0) {
        jobs.delete(j);
        j.done();
      }
    }
  }, 1);
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (jobs.size === 0) last = performance.now();
      jobs.add({ left: workMs, done: () => (res.writeHead(200, { 'content-type': 'application/json' }), res.end('{"ok":true}')) });
    });
  });
  s.on('close', () => clearInterval(tick));
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

describe('the noise replica does not share the baseline request’s moment', () => {
  it('a candidate 1.7x slower than its baseline fails a 1.3x gate with compare: all and noise: true', async () => {
    const [b, c] = await Promise.all([sharingServer(10), sharingServer(17)]);
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
        { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
      ],
      scenarios: [{ type: 'request', name: 'lot', route: 'GET /api/lots/LOT-1', compare: 'all', noise: true }],
      // 20/s: 50 ms apart, so iterations never overlap on either server; only the replica can.
      load: { model: 'constant-arrival-rate', rate: 20, duration: '3s', warmup: '500ms', maxInFlight: 50, timeouts: { total: '10s' } },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-moment-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const policy = await policyOf([{ metric: 'latency.p50', threshold: '<= 1.3x baseline' }], { minSamples: 30 });
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(out.result.load.iterations).toBeGreaterThanOrEqual(40);
    const g = v.gates.find((x) => x.id === 'latency.p50')!;
    expect(g.status, g.reason).toBe('fail');
    expect(v.status).toBe('fail');
  }, 30_000);
});
