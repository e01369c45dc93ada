import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';
import { testServers } from '../helpers/servers.ts';

/**
 * `shadow.sample` copied every k-th matching request, counted over all routes together. Live
 * traffic repeats (a page loads /a then /b, again and again): with sample: 50 every copy fell on
 * /b, /a was never copied (all of it "sampled out"), and a candidate answering 500 to every /a
 * passed its window on /b alone.
 */
const servers = testServers();
afterAll(() => servers.close());
const server = servers.start;

describe('shadow: sampling traffic that repeats', () => {
  it('copies from every route: a candidate failing every request of one of them fails the window', async () => {
    const json = (res: http.ServerResponse, code: number) => void res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
    const baseline = await server((_req, res) => json(res, 200));
    const candidate = await server((req, res) => json(res, req.url === '/a' ? 500 : 200));
    const policy = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(policy, ['name: sampled', 'minSamples: 20', 'gates:', '  - name: errors', '    metric: error_rate', "    threshold: '<= +10pp'", ''].join('\n'));
    const s = await startShadow(
      {
        name: 'sampled',
        targets: [
          { name: 'old', role: 'baseline', baseUrl: baseline, routes: { a: 'GET /a', b: 'GET /b' } },
          { name: 'new', role: 'candidate', baseUrl: candidate, routes: { a: 'GET /a', b: 'GET /b' } },
        ],
        shadow: { sample: 50, window: '1500ms', abortCheck: 0, passWindows: 1, failureLimit: 1 },
        load: { vus: 1, iterations: 1, timeouts: { total: '5s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { policy, windows: 1 },
    );
    let stop = false;
    void s.done.finally(() => (stop = true));
    // One user loading a page: /a then /b, over and over.
    for (let i = 0; !stop && i < 400; i++) {
      try {
        await (await request(`${s.url}/${i % 2 ? 'b' : 'a'}`)).body.dump();
      } catch {
        break;
      }
    }
    const { code, out } = await s.done;
    const w = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    const routes = Object.fromEntries(w.summaries.map((x: { scenario: string; candidate: { count: number } }) => [x.scenario, x.candidate.count]));
    expect(routes.a ?? 0, out).toBeGreaterThan(0);
    expect(w.verdict.status, out).toBe('fail');
    expect(code).toBe(1);
  }, 20_000);
});
