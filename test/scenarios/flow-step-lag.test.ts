import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { nearestRank } from '../../harness/metrics/percentiles.ts';

/**
 * A probe's clock starts when its request gets a connection. The first step of a flow counts the
 * wait before that (a free connection, the TCP connect) from the iteration's intended start; the
 * later steps counted it nowhere, so a candidate whose connections were scarce (or closed after
 * every answer, a fresh connect each time) showed it on step 1 only. Here the candidate has one
 * connection for 4 VUs and answers in 20 ms: each later step of each VU waits for the others'
 * requests, and that wait must be in the step's samples (dispatchLagMs) and latency, as step 1's is.
 */
const DELAY_MS = 20;
const servers: http.Server[] = [];

function server(delayMs: number): Promise<string> {
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs),
    );
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

describe('later flow steps count their wait for a connection', () => {
  let out: RunOutput;
  beforeAll(async () => {
    const [b, c] = await Promise.all([server(0), server(DELAY_MS)]);
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
        { name: 'new', role: 'candidate', baseUrl: c, routes: {}, connections: 1 },
      ],
      scenarios: [{ type: 'flow', name: 'f', steps: [{ name: 'first', route: 'GET /a' }, { name: 'second', route: 'GET /b' }, { name: 'third', route: 'GET /c' }] }],
      load: { vus: 4, iterations: 24 },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-step-lag-'));
    out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it.each(['second', 'third'])('step %s: every sample carries its dispatch lag, and the candidate waited behind the other VUs as step 1 does', (step) => {
    const pairs = out.pairs.filter((p) => p.step === step);
    expect(pairs).toHaveLength(24);
    for (const p of pairs) for (const s of [p.baseline, p.candidate]) expect(s.dispatchLagMs, `${step} ${s.role}`).toBeGreaterThanOrEqual(0);
    const lag = pairs.map((p) => p.candidate.dispatchLagMs!).sort((x, y) => x - y);
    // 4 VUs on one connection answering in 20 ms: a request mostly waits for one to three others (20-60 ms).
    expect(nearestRank(lag, 0.5)).toBeGreaterThan(DELAY_MS / 2);
    const first = out.pairs.filter((p) => p.step === 'first').map((p) => p.candidate.dispatchLagMs!).sort((x, y) => x - y);
    expect(nearestRank(first, 0.5)).toBeGreaterThan(DELAY_MS / 2);
    // The step's latency from when it was due includes the wait: the endpoint summary's p50 is beyond the service time plus the wait.
    const ep = out.result.endpoints!.find((e) => e.step === step)!;
    expect(ep.candidate.completionMs!.p50).toBeGreaterThan(DELAY_MS + nearestRank(lag, 0.5) * 0.5);
  });
});
