import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';

/**
 * A failed capture stops the flow run on every side. When the side that failed is the baseline
 * or its noise replica (a second login refused), the candidate's later steps are never sent nor
 * compared: those steps only count `skipped`. The contract gates read the pairs compared, all in
 * the steps before the cut, so `contract_drift <= 0` passed a candidate whose later answers were
 * never looked at (here: one that renamed a field in them).
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function api(opts: { token: boolean; field: string }): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/health') return res.end('{}');
      if (req.url === '/login') return res.end(JSON.stringify(opts.token ? { token: 'tok-123456' } : { error: 'too many logins' }));
      res.end(JSON.stringify({ [opts.field]: 'lot' }));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('contract steps never compared because the baseline side stopped the flow', () => {
  it('leave the drift gates without a pass', async () => {
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: await api({ token: true, field: 'name' }), routes: {} },
        { name: 'new', role: 'candidate', baseUrl: await api({ token: true, field: 'title' }), routes: {} },
      ],
      contracts: {
        noise: { baselineUrl: await api({ token: false, field: 'name' }) },
        flows: [
          {
            name: 'lots',
            repeat: 5,
            steps: [
              { name: 'login', route: 'POST /login', body: {}, capture: { token: '$.token' } },
              { name: 'get', route: 'GET /item', headers: { authorization: 'Bearer {{token}}' } },
            ],
          },
        ],
      },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-skipped-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const get = out.result.contracts!.find((s) => s.step === 'get')!;
    expect(get.pairs).toBe(0);
    expect(get.skipped).toBe(5);
    const policy = await policyOf([
      { name: 'drift', metric: 'contract_drift', threshold: '<= 0', minSamples: 1 },
      { name: 'breaking', metric: 'contract_drift.breaking', threshold: '<= 0', minSamples: 1 },
    ]);
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(v.gates.filter((g) => g.id === 'drift' || g.id === 'breaking').map((g) => g.status)).toEqual(['inconclusive', 'inconclusive']);
    expect(v.status).toBe('inconclusive');
  }, 30_000);
});
