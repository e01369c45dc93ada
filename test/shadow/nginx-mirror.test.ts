import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startNginx } from '../helpers/nginx.ts';
import { startShadow, type RunningShadow } from '../helpers/shadow.ts';

// Real mirrored traffic: Debian's nginx serves clients from the baseline and, with its `mirror`
// directive, sends a copy of each request to `parity shadow --mode mirror`.

interface Seen { method: string; url: string; id: string | undefined; body: string }

async function backend(name: string, seen: Seen[]) {
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ method: req.method!, url: req.url!, id: req.headers['x-request-id'] as string | undefined, body });
    if (req.url!.includes('chat')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: token\ndata: {"text":"${name}"}\n\nevent: done\ndata: {}\n\n`);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ from: name }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('parity shadow --mode mirror behind nginx mirror', () => {
  it('compares what nginx mirrors, paired by request id; a POST is not copied without opt-in', async () => {
    const bSeen: Seen[] = [];
    const cSeen: Seen[] = [];
    const b = await backend('py', bSeen);
    const c = await backend('node', cSeen);
    cleanup.push(b.close, c.close);
    const s: RunningShadow = await startShadow(
      {
        name: 'mirror',
        targets: [
          { name: 'py', role: 'baseline', baseUrl: b.url, routes: { chat: 'POST /chat', item: 'GET /items/:id' }, stream: 'named-events' },
          { name: 'node', role: 'candidate', baseUrl: c.url, routes: { chat: 'POST /v2/chat', item: 'GET /v2/items/:id' }, stream: 'named-events' },
        ],
        shadow: { window: '1m' },
        load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '5s', total: '10s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { mode: 'mirror' },
    );
    let stopped = false;
    cleanup.push(async () => void (stopped || (await s.stop())));
    const port = await freePort();
    const nginx = await startNginx(
      () => `  server {
    listen 127.0.0.1:${port};
    location / {
      mirror /__parity_mirror;
      mirror_request_body on;
      proxy_pass ${b.url};
      proxy_buffering off;
    }
    location = /__parity_mirror {
      internal;
      proxy_pass ${s.url}$request_uri;
      proxy_set_header X-Request-Id $http_x_request_id;
    }
  }`,
      port,
    );
    cleanup.push(nginx.close);
    const front = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 10; i++) {
      const r = await request(`${front}/items/${i}`, { headers: { 'x-request-id': `req-${i}` } });
      expect(await r.body.json()).toEqual({ from: 'py' });
    }
    const chat = await request(`${front}/chat`, { method: 'POST', body: '{"message":"hi"}', headers: { 'content-type': 'application/json', 'x-request-id': 'req-chat' } });
    expect(await chat.body.text()).toContain('"py"');
    // nginx sends the mirror subrequests as it serves; let parity's pairs finish.
    const deadline = Date.now() + 10_000;
    while (cSeen.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stopped = true;
    await s.stop();

    // The candidate got exactly the 10 GETs, at its own paths, with the clients' request ids.
    expect(cSeen.map((x) => `${x.method} ${x.url} ${x.id}`).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `GET /v2/items/${i} req-${i}`).sort());
    // The baseline: 11 from clients via nginx, plus parity's 10 paired copies (the POST not copied).
    expect(bSeen.filter((x) => x.method === 'POST')).toHaveLength(1);
    expect(bSeen.filter((x) => x.method === 'GET')).toHaveLength(20);
    const run = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(run.samples.pairs).toBe(10);
    expect(run.shadow).toMatchObject({ mode: 'mirror', requests: 11, unsafe: 1 });
    const pairs = readFileSync(path.join(s.dir, 'windows', '1', 'samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(pairs.map((p) => p.requestId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i}`).sort());
    // JSON routes are read whole by the request probe (not as broken streams), per endpoint template.
    expect(pairs.map((p) => [p.baseline.outcome, p.candidate.outcome, p.candidate.status, p.candidate.route])).toEqual(Array.from({ length: 10 }, () => ['ok', 'ok', 200, 'GET /items/:id']));
  });
});
