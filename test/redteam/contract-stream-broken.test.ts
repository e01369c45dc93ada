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
 * A contract stream step compares status and headers (its text is judged by assertions). A
 * candidate whose every stream broke after its 200 headers (reset, no terminal event) compared as
 * identical: `drifted: 0`, and in a contract-only run the failed-requests guard counts no load
 * pairs, so `contract_drift.breaking <= 0` passed a candidate that never finished a stream. One
 * side answering in full and the other failing is a `status` difference (outcome) at the root.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function sse(broken: boolean): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/health') return res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"hello"}}]}\n\n');
      if (broken) return setTimeout(() => res.socket?.destroy(), 20);
      res.end('data: [DONE]\n\n');
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function run(candidateBroken: boolean) {
  const b = await sse(false);
  const c = await sse(candidateBroken);
  const cfg: ConfigInput = {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
      { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
    ],
    contracts: { flows: [{ name: 'chat', repeat: 5, steps: [{ name: 'ask', route: 'POST /chat', stream: true, body: { q: 'hi' } }] }] },
    preflight: { retries: 0, interval: 10 },
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-cstream-'));
  const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
  const policy = await policyOf([{ name: 'breaking', metric: 'contract_drift.breaking', threshold: '<= 0', minSamples: 5 }]);
  return { step: out.result.contracts!.find((s) => s.step === 'ask')!, verdict: evaluatePolicy(policy, out.result, await out.collectPairs(gatePair)) };
}

describe('contract stream steps: a stream that broke on one side only', () => {
  it('is breaking drift, and contract_drift.breaking <= 0 fails', async () => {
    const { step, verdict } = await run(true);
    expect(step.pairs).toBe(5);
    expect(step.assertionFailures.candidate).toBe(5);
    expect(step.drifted).toBe(5);
    expect(step.classes?.breaking).toBe(5);
    expect(step.drift[0]).toMatchObject({ pointer: '', kind: 'status' });
    expect(verdict.status).toBe('fail');
  }, 30_000);

  it('two complete streams are identical, and the gate passes', async () => {
    const { step, verdict } = await run(false);
    expect(step.drifted).toBe(0);
    expect(verdict.status).toBe('pass');
  }, 30_000);
});
