import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../fixtures/backends/chat-backend.ts';
import { startShadow } from '../helpers/shadow.ts';

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('candidate overflow', () => {
  it('with the candidate capped at 5 copies and a slow candidate, the dropped copies are counted exactly and the clients are served at once', async () => {
    const baseline: ChatFixture = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    let received = 0;
    const slow = http.createServer((req, res) => {
      received++;
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: token\ndata: {"text":"late"}\n\nevent: done\ndata: {}\n\n');
      }, 3000);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    servers.push(baseline, { close: () => new Promise<void>((r) => (slow.closeAllConnections(), slow.close(() => r()))) });
    const s = await startShadow({
      name: 'overflow',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: baseline.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
        { name: 'node', role: 'candidate', baseUrl: slowUrl, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      ],
      shadow: { routes: { chat: { allowWrites: true } }, candidate: { concurrency: 5, queue: 0 }, window: '1m' },
      load: { vus: 1, iterations: 1, timeouts: { firstEvent: '10s', idle: '10s', total: '20s' } },
      preflight: { retries: 0, interval: 10 },
    });
    const direct = await request(`${baseline.url}/chat-stream`, { method: 'POST', body: '{"message":"x"}', headers: { 'content-type': 'application/json' } });
    const directHash = createHash('sha256').update(Buffer.from(await direct.body.arrayBuffer())).digest('hex');
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const r = await request(`${s.url}/chat-stream`, { method: 'POST', body: '{"message":"x"}', headers: { 'content-type': 'application/json' } });
        return { status: r.statusCode, hash: createHash('sha256').update(Buffer.from(await r.body.arrayBuffer())).digest('hex') };
      }),
    );
    const clientMs = performance.now() - t0;
    // Every client got the baseline's answer, long before the slow candidate answered anything.
    expect(answers.every((a) => a.status === 200 && a.hash === directHash)).toBe(true);
    expect(clientMs).toBeLessThan(2500);
    // The slow candidate's copies complete after 3 s; then stop (the 5 pairs are in).
    await new Promise((r) => setTimeout(r, 3500));
    await s.stop();
    const run = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(received).toBe(5);
    expect(run.shadow).toMatchObject({ requests: 40, dropped: 35 });
    expect(run.samples.pairs).toBe(5);
    expect(run.load.dropped).toBe(35);
    // 35 of 40 copies dropped: the pairs are no fair sample, so the window can never pass.
    expect(run.harness.warnings.some((w: string) => /35 of 40 copies .* dropped/.test(w))).toBe(true);
  });
});
