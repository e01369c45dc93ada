import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { policyOf } from '../helpers/gates.ts';

/**
 * A flow under load with `compare: all` and `noise: true` (the README's example) runs every
 * iteration a third time on the baseline, the noise replica. Its lot code is `LOT-{{iteration}}`,
 * the same on every side: the baseline creates LOT-7 for the baseline side, then refuses the
 * replica's second LOT-7 (409). The replica's failed capture stopped the flow on every side, so
 * the later step (`get`) was never sent to anyone, and a candidate answering 500 to every `get`
 * passed: the pairs held only the create step, where both answered, and no guard had a `get`
 * pair to count. The replica only measures noise: when its capture fails it leaves the flow (it
 * never sends an empty id) and the pair goes on.
 */
const servers: http.Server[] = [];
let candidateGets = 0;

function server(role: 'baseline' | 'candidate'): Promise<string> {
  const lots = new Set<string>();
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/lots') {
        const code = (JSON.parse(body) as { code: string }).code;
        if (lots.has(code)) {
          res.writeHead(409);
          return res.end('{"error":"lot code exists"}');
        }
        lots.add(code);
        res.writeHead(201);
        return res.end(JSON.stringify({ id: code, code }));
      }
      if (req.method === 'GET' && req.url?.startsWith('/lots/')) {
        if (role === 'candidate') {
          candidateGets++;
          res.writeHead(500);
          return res.end('{"error":"boom"}');
        }
        return res.end(JSON.stringify({ id: decodeURIComponent(req.url.slice('/lots/'.length)) }));
      }
      res.end('{}');
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

describe('a noise replica whose capture fails does not stop the pair', () => {
  let out: RunOutput;
  beforeAll(async () => {
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
          compare: 'all',
          noise: true,
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
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-noise-stop-'));
    out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('the later step reaches the candidate, and its failures fail the run', async () => {
    const measured = out.result.load.iterations;
    expect(measured).toBeGreaterThanOrEqual(60);
    const get = out.pairs.filter((p) => p.step === 'get');
    // Every iteration whose pair created its lot goes on to `get`. The baseline's create is sent
    // before the replica's and nearly always wins their code; when it loses, the baseline's own
    // capture fails and that pair stops, as it must.
    expect(get.length, 'get pairs').toBeGreaterThanOrEqual(Math.floor(measured * 0.75));
    expect(candidateGets).toBeGreaterThanOrEqual(get.length);
    expect(get.every((p) => p.candidate.outcome === 'http_error' && p.candidate.status === 500)).toBe(true);
    const policy = await policyOf([{ metric: 'latency.p95', threshold: '<= 2x baseline or <= baseline + 50ms', scenario: 'lots', step: 'create' }], { minSamples: 30 });
    const v = evaluatePolicy(policy, out.result, await out.collectPairs(gatePair));
    expect(v.status, v.reasons.join('\n')).toBe('fail');
    expect(v.gates.find((g) => g.id === 'failed-requests@lots/get')?.status).toBe('fail');
    expect(v.gates.find((g) => g.id === 'failed-requests')?.status).toBe('fail');
  });
});
