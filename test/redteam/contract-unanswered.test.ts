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
 * A contract step that neither target answered (both connections reset: no status on either
 * side) compared as identical: two failures have the same status (none), headers and body. A
 * contract-only run whose every step failed on both sides gave `drifted: 0` over its pairs and
 * `contract_drift.breaking <= 0` passed on no evidence about the candidate's contract. Such a pair
 * is `unanswered`, not a compared pair.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function resetting(): Promise<string> {
  const s = createServer((req, res) => {
    if (req.url === '/health') return res.end('ok');
    req.socket.destroy();
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('contract pairs neither target answered', () => {
  it('are counted as unanswered, not identical, and a drift gate cannot pass on them', async () => {
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: await resetting(), routes: {} },
        { name: 'new', role: 'candidate', baseUrl: await resetting(), routes: {} },
      ],
      contracts: { flows: [{ name: 'lots', repeat: 5, steps: [{ name: 'get', route: 'GET /api/lots/1' }] }] },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-unanswered-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const step = out.result.contracts!.find((s) => s.step === 'get')!;
    expect(step.unanswered).toBe(5);
    expect(step.pairs).toBe(0);
    expect(step.identical).toBe(0);
    expect(step.assertionFailures).toEqual({ baseline: 5, candidate: 5 });
    const policy = await policyOf([{ name: 'breaking', metric: 'contract_drift.breaking', threshold: '<= 0', minSamples: 1 }]);
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(v.status).not.toBe('pass');
  }, 30_000);
});
