import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { drive } from '../helpers/drive.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * A shadow window cannot pass on SSE answers its request probe read whole (auto-kind.test.ts), but
 * it looked at the baseline's answer only. A baseline answering the route with JSON and a candidate
 * answering every copy with an SSE stream that ends in an error event: each candidate answer read
 * `ok` (a 200 whose body ended), and the window PASSED. `parity run` counts either side's SSE
 * answers read whole (run/read-whole.ts); the shadow now does too.
 */
describe('shadow: the candidate alone answers SSE streams on a route read whole', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  const serve = async (sse: boolean) => {
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!sse) res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":"hello there"}');
        else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: error\ndata: {"error":"model overloaded"}\n\n');
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  it('counted, a harness warning naming the route: the window does not pass', async () => {
    const [b, c] = [await serve(false), await serve(true)];
    const policy = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(policy, ['name: answers', 'minSamples: 20', 'gates:', '  - { metric: error_rate, threshold: "<= +5pp" }', ''].join('\n'));
    const config: ConfigInput = {
      name: 'candidate sse',
      targets: [
        { name: 'old', role: 'baseline', baseUrl: b, routes: { answer: 'POST /answer' } },
        { name: 'new', role: 'candidate', baseUrl: c, routes: { answer: 'POST /answer' } },
      ],
      shadow: { routes: { answer: { allowWrites: true } }, abortCheck: 0, failureLimit: 1, passWindows: 1 },
      load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '2s', total: '10s' } },
      preflight: { retries: 0, interval: 10 },
    };
    const s = await startShadow(config, { policy, windows: 1, windowMs: 1500 });
    await drive(`${s.url}/answer`, { concurrency: 4, until: s.done, max: 200 });
    await s.done;
    const w = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(w.samples.pairs).toBeGreaterThanOrEqual(20);
    expect(w.summaries[0].candidate.outcomes.ok).toBe(w.samples.pairs);
    expect(w.shadow.streamsReadWhole).toBe(w.samples.pairs);
    expect(w.harness.warnings.join('\n')).toMatch(/SSE streams read as whole responses \(route answer/);
    expect(w.verdict.status).not.toBe('pass');
  }, 60_000);
});
