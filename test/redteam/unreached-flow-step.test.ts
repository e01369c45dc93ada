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
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * Baseline and candidate on one database (a strangler migration), a flow creating `LOT-{{iteration}}`
 * (not unique per side) and reading it back. The pair's two creates race for one code: the side
 * sent first (alternating) creates it, the other gets 409 and its capture fails, which stops the
 * flow. So every iteration stopped after `create`, each side failing half of them, and `get` was
 * never sent to anyone: no pair, no guard, and a candidate answering 500 to every `get` PASSED
 * (no more failures than the baseline, and nothing else to judge). A configured step that its
 * flow, run n times, reached in none of them (0 of n shown below one half at the policy's
 * confidence) now holds the verdict, its guard naming the step.
 */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

const db = new Set<string>();
function server(role: 'baseline' | 'candidate'): Promise<string> {
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/lots') {
        const code = (JSON.parse(body) as { code: string }).code;
        if (db.has(code)) {
          res.writeHead(409);
          return res.end('{"error":"lot code exists"}');
        }
        db.add(code);
        res.writeHead(201);
        return res.end(JSON.stringify({ id: code }));
      }
      if (role === 'candidate') {
        res.writeHead(500);
        return res.end('{"error":"boom"}');
      }
      res.end('{"id":"lot"}');
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

const gates = [{ metric: 'latency.p95', threshold: '<= 2x baseline or <= baseline + 50ms', scenario: 'lots', step: 'create' }];

describe('a flow step its flow never reached', () => {
  it('holds the verdict: its guard is inconclusive and names the step', async () => {
    const [b, c] = await Promise.all([server('baseline'), server('candidate')]);
    const cfg: ConfigInput = {
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
        { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
      ],
      scenarios: [
        {
          type: 'flow',
          name: 'lots',
          vars: { code: 'LOT-{{iteration}}' },
          steps: [
            { name: 'create', route: 'POST /lots', body: { code: '{{code}}' }, capture: { id: '$.id' } },
            { name: 'get', route: 'GET /lots/{{id}}' },
          ],
        },
      ],
      load: { model: 'constant-arrival-rate', rate: 40, duration: '2500ms', warmup: '500ms', maxInFlight: 100, timeouts: { total: '10s' } },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-unreached-'));
    const out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const ps = await out.collectPairs(gatePair);
    expect(ps.length).toBeGreaterThanOrEqual(40);
    expect(ps.filter((p) => p.step === 'get')).toHaveLength(0);
    const v = evaluatePolicy(await policyOf(gates, { minSamples: 30 }), out.result, ps);
    const g = v.gates.find((x) => x.id === 'failed-requests@lots/get');
    expect(g?.status, g?.reason).toBe('inconclusive');
    expect(g!.reason).toMatch(/reached step get in none of its \d+ measured iterations/);
    expect(v.status, v.reasons.join('\n')).toBe('inconclusive');
  }, 30_000);

  it('a tiny flow that never got that far is no evidence either way: not judged, PASS', async () => {
    const ok = () => ({ completionMs: 300 });
    const chat = pairs(3000, ok, ok, 'chat');
    const lots = pairs(2, ok, ok, 'lots').map((p) => ({ ...p, step: 'create' }));
    const all = [...chat, ...lots];
    const run = runOf(all, { config: { scenarios: [{ name: 'chat', route: 'chat' }, { type: 'flow', name: 'lots', steps: [{ name: 'create' }, { name: 'get' }] }] } });
    const v = evaluatePolicy(await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'chat' }], { minSamples: 100 }), run, all.map(gatePair), new Date(0));
    expect(v.gates.find((x) => x.id === 'failed-requests@lots/get')?.status).toBe('unjudged');
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });
});
