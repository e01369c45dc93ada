import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';
import { testServers } from '../helpers/servers.ts';

/**
 * A request body over 1 MiB was never copied and was counted as "sampled out", as if `shadow.sample`
 * had left it out at random. A route opted in for copies whose requests are all that big (an
 * upload) was then never compared: a candidate answering 500 to every upload passed its window on
 * the other routes, and promoted.
 */
const servers = testServers();
afterAll(() => servers.close());
const server = servers.start;

describe('shadow: request bodies too big to copy', () => {
  it('are counted as such, and the window cannot pass without them', async () => {
    const answer = (res: http.ServerResponse, code: number) => void res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
    const baseline = await server((req, res) => (req.resume(), req.on('end', () => answer(res, 200))));
    const candidate = await server((req, res) => (req.resume(), req.on('end', () => answer(res, req.url === '/upload' ? 500 : 200))));
    const policy = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(policy, ['name: uploads', 'minSamples: 20', 'gates:', '  - name: errors', '    metric: error_rate', "    threshold: '<= +10pp'", ''].join('\n'));
    const s = await startShadow(
      {
        name: 'uploads',
        targets: [
          { name: 'old', role: 'baseline', baseUrl: baseline, routes: { item: 'GET /item', upload: 'POST /upload' } },
          { name: 'new', role: 'candidate', baseUrl: candidate, routes: { item: 'GET /item', upload: 'POST /upload' } },
        ],
        shadow: { routes: { item: {}, upload: { allowWrites: true } }, window: '1500ms', abortCheck: 0, passWindows: 1, failureLimit: 1 },
        load: { vus: 1, iterations: 1, timeouts: { total: '5s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { policy, windows: 1 },
    );
    const upload = Buffer.alloc((1 << 20) + 1024, 'a');
    for (let i = 0; i < 60; i++) {
      await (await request(`${s.url}/item`)).body.dump();
      if (i % 6 === 0) await (await request(`${s.url}/upload`, { method: 'POST', body: upload, headers: { 'content-type': 'application/octet-stream' } })).body.dump();
    }
    const { code, out } = await s.done;
    const w = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(w.samples.pairs).toBe(60);
    expect(w.shadow.sampledOut).toBe(0);
    expect(w.shadow.tooLarge).toBe(10);
    expect(w.verdict.status, out).not.toBe('pass');
    expect(code).not.toBe(0);
  }, 20_000);
});
