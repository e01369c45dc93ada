import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import type { Verdict } from '../../harness/run/result.ts';

/**
 * `parity run` read a `type: request` (or flow step) answer whole: any 200 whose body ended was
 * `ok`. A candidate ending every chat stream with an error event and no terminal event answered
 * 200 text/event-stream as the baseline did: 0% errors, PASS. `parity shadow` (kind auto) and
 * `parity replay` counted such answers and held the pass back; now `parity run` does too.
 */
async function backend(broken: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/api/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hello ' } }] })}\n\n`);
      if (broken) res.end(`event: error\ndata: {"error":{"message":"upstream overloaded"}}\n\n`);
      else res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'world.' } }] })}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('parity run: a request or flow scenario answered with SSE streams', () => {
  let out: RunOutput;
  let verdict: Verdict;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const [b, c] = [await backend(false), await backend(true)];
    closers.push(b.close, c.close);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-read-whole-'));
    const ask = { route: 'POST /api/chat/ask', body: { question: 'hi' } };
    const cfg = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b.url },
        { name: 'new', role: 'candidate', baseUrl: c.url },
      ],
      scenarios: [
        { type: 'request', name: 'ask', ...ask },
        { type: 'flow', name: 'session', steps: [{ name: 'health', route: 'GET /api/health' }, { name: 'ask', ...ask }] },
      ],
      load: { vus: 4, iterations: 200 },
      preflight: { retries: 0, interval: 10 },
    };
    out = await runParity(await resolveConfig(cfg as never, path.join(dir, 'inline.json')), { outDir: dir });
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, ['name: nightly', 'minSamples: 50', 'gates:', '  - { metric: error_rate, threshold: "<= 5%", scenario: ask }'].join('\n'));
    // The gates and the run's own warnings are what is tested: a busy test machine's event-loop warning is set aside.
    const health = out.result.harness;
    const result = health ? { ...out.result, harness: { ...health, warnings: health.warnings.filter((w) => !/event-loop|dispatch lag/.test(w)) } } : out.result;
    verdict = evaluatePolicy(await loadPolicy(file), result, await out.collectPairs(gatePair));
  }, 60_000);
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('is counted per scenario and side in run.json, and marked on its samples', async () => {
    expect(out.result.complete).toBe(true);
    const s = (name: string) => out.result.summaries.find((x) => x.scenario === name)!;
    // Read whole, every broken stream was ok: what the gates saw.
    expect(s('ask').candidate.errorRate).toBe(0);
    expect(s('ask').baseline.streamsReadWhole).toBe(100);
    expect(s('ask').candidate.streamsReadWhole).toBe(100);
    // The flow: its chat step only, not its JSON health step (a flow step reads JSON, so the stream fails its check on both sides there).
    expect(s('session').candidate.outcomes.assertion_failed).toBe(100);
    expect(s('session').candidate.streamsReadWhole).toBe(100);
    expect(s('session').candidate.count).toBe(200);
    const pairs = await out.collectPairs((p) => p);
    expect(pairs.filter((p) => p.candidate.streamReadWhole).map((p) => p.step ?? p.scenario).sort()).toEqual([...Array<string>(100).fill('ask'), ...Array<string>(100).fill('ask')]);
  });

  it('is a harness warning naming the scenario and the fix, so the run does not pass', () => {
    expect(verdict.status, verdict.reasons.join('\n')).toBe('inconclusive');
    const w = out.result.harness?.warnings ?? [];
    expect(w.find((x) => x.startsWith('scenario ask (type: request): 100 baseline and 100 candidate answers were SSE streams (2xx text/event-stream) read as whole responses'))).toMatch(/make it type: stream/);
    expect(w.find((x) => x.startsWith('scenario session (type: flow): '))).toMatch(/move that step out of the flow into a scenario of its own with type: stream/);
    expect(verdict.reasons.some((r) => r.startsWith('INCONCLUSIVE harness health: scenario ask (type: request): '))).toBe(true);
  });
});
