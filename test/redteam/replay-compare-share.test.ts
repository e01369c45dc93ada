import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { readPairsSync } from '../../harness/run/pairs.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { parityLines } from '../helpers/replay.ts';

/**
 * `parity replay --compare 10%` diffs a sample of the replayed pairs, as `compare: 10%` does on a
 * request scenario; but only scenarios' shares reached run.json (ContractStepSummary.share), the
 * replay's scenario has compare 0, so a replay's `contract_drift <= 0` passed on the 10% diffed
 * saying only "candidate 0 passes <= 0", read as "no drift". The replay's share now goes with its
 * contract steps, and the gate's reason says what the pass covers.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-share-'));
const servers: Server[] = [];
let config = '';

beforeAll(async () => {
  for (let k = 0; k < 2; k++) {
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 7, name: 'a' })));
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
        { name: 'base', role: 'baseline', baseUrl: url(0), routes: { item: 'GET /api/items/7' } },
        { name: 'cand', role: 'candidate', baseUrl: url(1), routes: { item: 'GET /api/items/7' } },
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

describe('parity replay --compare below all', () => {
  it("carries the share diffed into run.json's contracts, and a drift gate's pass says it covers a sample", async () => {
    const file = path.join(dir, 'capture.ndjson');
    const T = Date.now();
    writeFileSync(file, parityLines(Array.from({ length: 200 }, (_, i) => ({ t: T + i, method: 'GET', path: '/api/items/7', headers: { accept: 'application/json' } }))));
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--compare', '10%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const runJson = /run\.json: (.+)/.exec(r.stdout)![1]!.trim();
    const run = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    const c = run.contracts!.find((x) => x.underLoad)!;
    expect(c.pairs).toBeGreaterThan(0);
    expect(c.pairs).toBeLessThan(200);
    expect(c.share).toBe(0.1);
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(policyFile, 'gates:\n  - { name: drift, metric: contract_drift, threshold: "<= 0", minSamples: 1 }\n');
    const verdict = evaluatePolicy(await loadPolicy(policyFile), run, readPairsSync(path.join(path.dirname(runJson), run.samples.file)).map(gatePair));
    const gate = verdict.gates.find((g) => g.id.startsWith('drift'))!;
    expect(gate.status).toBe('pass');
    expect(gate.reason).toContain(`counted over ${c.pairs} compared pairs, a 10% sample of the load's pairs (compare)`);
  }, 30_000);
});
