import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair, type GatePair } from '../../harness/gates/metrics.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * A mixed arrival-rate run: a chat stream (weight 80) and a request scenario `lot` (weight 20)
 * whose route both backends answer 401 (its token missing from the config, a route behind an auth
 * the run does not have). The candidate's `lot` endpoint answered nothing but rejections and was
 * compared with a baseline that did the same. In a run of `lot` alone that is "no reference", never
 * a pass; mixed in, the run-wide guard saw a baseline failing a fifth of its requests (not most),
 * and the scenario's own guard, deciding on evidence only, was `not judged` (no evidence of the
 * candidate failing more) and held nothing back: PASS, with one scenario in five verified by
 * nothing. Now a scope whose baseline failed most of its requests, shown at the policy's confidence
 * (its failure rate's lower bound above one half), holds the verdict (inconclusive) with the
 * reason; a baseline's odd failure in a few pairs still does not.
 */
const servers: http.Server[] = [];

/** Answers POST /chat with a short named-events stream, anything else with 401. */
function server(): Promise<string> {
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/chat') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: token\ndata: {"text":"hello"}\n\nevent: done\ndata: {"finish_reason":"stop"}\n\n');
        return;
      }
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

const gates = [{ metric: 'completion.p95', threshold: '<= 1.5x baseline or <= baseline + 100ms', scenario: 'chat' }];

describe('a scenario whose baseline failed most requests holds the verdict, however small its share', () => {
  let out: RunOutput;
  let ps: GatePair[];
  beforeAll(async () => {
    const [b, c] = await Promise.all([server(), server()]);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-no-ref-'));
    const prompts = path.join(dir, 'prompts.jsonl');
    writeFileSync(prompts, '{"text":"q"}\n');
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b, routes: { chat: 'POST /chat' }, stream: 'named-events' },
        { name: 'new', role: 'candidate', baseUrl: c, routes: { chat: 'POST /chat' }, stream: 'named-events' },
      ],
      scenarios: [
        { name: 'chat', route: 'chat', prompts, weight: 80 },
        { type: 'request', name: 'lot', route: 'GET /api/lots/LOT-1', weight: 20 },
      ],
      load: { model: 'constant-arrival-rate', rate: 50, duration: '3s', warmup: '500ms', maxInFlight: 200, timeouts: { firstEvent: '10s', idle: '10s', total: '10s' } },
      preflight: { retries: 0, interval: 10 },
    };
    out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    ps = await out.collectPairs(gatePair);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('both sides 401 on every lot request: not a pass, the reason says no reference', async () => {
    const lot = ps.filter((p) => p.scenario === 'lot');
    expect(lot.length, 'the request scenario ran in the measured window').toBeGreaterThanOrEqual(15);
    expect(lot.every((p) => p.baseline.status === 401 && p.candidate.status === 401)).toBe(true);
    expect(out.result.load.dropped).toBe(0);
    const v = evaluatePolicy(await policyOf(gates, { minSamples: 20 }), out.result, ps);
    // The chat gate, its guard and the run-wide guard pass: the stream is fine and the baseline failed a fifth overall.
    expect(v.gates.find((g) => g.id === 'completion.p95@chat')?.status).toBe('pass');
    expect(v.gates.find((g) => g.id === 'failed-requests')?.status).toBe('pass');
    const g = v.gates.find((x) => x.id === 'failed-requests@lot')!;
    expect(g.status, g.reason).toBe('inconclusive');
    expect(g.reason).toMatch(/no reference: the baseline failed \d+ of \d+ requests here \(http_error 401/);
    expect(v.status, v.reasons.join('\n')).toBe('inconclusive');
    expect(v.reasons.some((r) => r.startsWith('INCONCLUSIVE failed-requests@lot: '))).toBe(true);
    // With insufficient: fail, as a full guard with no reference: fail.
    expect(evaluatePolicy(await policyOf(gates, { minSamples: 20, insufficient: 'fail' }), out.result, ps).status).toBe('fail');
  });
});

describe('what a small scope with a failing baseline still is', () => {
  const ok = (i: number) => ({ completionMs: 300 + ((i * 37) % 50) });
  const rejected = { outcome: 'http_error', status: 401, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 } as const;
  const judge = async (ps: ReturnType<typeof pairs>) => evaluatePolicy(await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'chat' }], { minSamples: 100 }), runOf(ps), ps.map(gatePair), new Date(0));

  it('a baseline failing a few pairs of a tiny scope is no evidence of anything: not judged, PASS', async () => {
    // 2 of 3 failed on the baseline: "most", but a Wilson bound of ~25% at 90% cannot show it.
    const ps = [...pairs(3000, ok, ok, 'chat'), ...pairs(3, (i) => (i < 2 ? rejected : ok(i)), ok, 'lot')];
    const v = await judge(ps);
    expect(v.gates.find((g) => g.id === 'failed-requests@lot')?.status).toBe('unjudged');
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });

  it('a healthy candidate against a baseline rejecting all of a small scope: inconclusive too (nothing there was compared)', async () => {
    const ps = [...pairs(3000, ok, ok, 'chat'), ...pairs(30, () => rejected, ok, 'lot')];
    const v = await judge(ps);
    expect(v.gates.find((g) => g.id === 'failed-requests@lot')?.status).toBe('inconclusive');
    expect(v.status).toBe('inconclusive');
  });

  it('a candidate failing more than a mostly failing baseline still fails on evidence', async () => {
    const ps = [...pairs(3000, ok, ok, 'chat'), ...pairs(30, (i) => (i % 3 === 0 ? ok(i) : rejected), () => rejected, 'lot')];
    const v = await judge(ps);
    expect(v.gates.find((g) => g.id === 'failed-requests@lot')?.status).toBe('fail');
    expect(v.status).toBe('fail');
  });
});
