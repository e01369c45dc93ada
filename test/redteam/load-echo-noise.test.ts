import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { runParity } from '../../harness/run/engine.ts';

/**
 * Compared pairs under load (`compare: all`, `noise: true`) diffed without the echo mapping that
 * contract flows use. `{{unique}}` differs per side (baseline, candidate, replica), so every field
 * echoing it differed between the two baseline answers and was learned as noise: a candidate that
 * echoed another code (a read-after-write race answering someone else's record) passed
 * `contract_drift <= 0`. Without noise learning every honest echo was drift instead.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function echoServer(wrong: boolean): Promise<string> {
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/health') return res.end('ok');
      const code = String((JSON.parse(body) as { code: string }).code);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ code: wrong ? `${code.slice(0, -1)}x` : code, message: `lot ${code} created` }));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function run(candidateWrong: boolean, noise: boolean) {
  const b = await echoServer(false);
  const c = await echoServer(candidateWrong);
  const cfg: ConfigInput = {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
      { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
    ],
    scenarios: [{ type: 'request', name: 'create', route: 'POST /lots', body: { code: 'LOT-{{unique}}' }, compare: 'all', noise }],
    load: { vus: 2, iterations: 20 },
    preflight: { retries: 0, interval: 10 },
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-echo-'));
  const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
  return out.result.contracts!.find((s) => s.underLoad && s.scenario === 'create')!;
}

describe('compared pairs under load map each side\'s generated values before the diff', () => {
  it('a candidate echoing the wrong code drifts in every pair, even with noise learning on', async () => {
    const s = await run(true, true);
    expect(s.pairs).toBe(20);
    expect(s.drifted).toBe(20);
    expect(s.drift.map((d) => [d.pointer, d.kind])).toContainEqual(['/code', 'value']);
    expect(s.noise.map((n) => n.pointer)).not.toContain('/code');
  }, 60_000);

  it('an honest echo is not drift, with or without noise learning', async () => {
    for (const noise of [false, true]) {
      const s = await run(false, noise);
      expect(s.pairs).toBe(20);
      expect(s.drifted).toBe(0);
      expect(s.noise).toEqual([]);
    }
  }, 60_000);
});
