import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startChatFixture } from '../../fixtures/backends/chat-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { Timeouts } from '../../harness/config/schema.ts';
import { Shadow } from '../../harness/config/shadow-schema.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { CandidateThread } from '../../harness/sources/shadow/candidate-thread.ts';
import { startShadowServer } from '../../harness/sources/shadow/server.ts';
import { ShadowWindow } from '../../harness/sources/shadow/window.ts';
import { openTarget } from '../../harness/targets/target.ts';
import { tempWorkspace } from '../helpers/config.ts';

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

const until = async (what: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('the inline proxy’s candidate thread', () => {
  it('probes every copy off the proxy’s thread; copies in a thread that dies are counted dropped, and the next ones are probed on the proxy’s thread', async () => {
    const baseline = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    closers.push(() => baseline.close());
    // The candidate: records each copy's request id; answers at once, or after 5 s while `slow`.
    const seen: string[] = [];
    let slow = false;
    const cand = http.createServer((req, res) => {
      seen.push(String(req.headers['x-request-id']));
      req.resume();
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end('event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n');
        },
        slow ? 5_000 : 0,
      );
    });
    await new Promise<void>((r) => cand.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => (cand.closeAllConnections(), cand.close(() => r()))));
    const ws = tempWorkspace();
    const loaded = await resolveConfig(
      {
        targets: [
          { name: 'py', role: 'baseline', baseUrl: baseline.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
          { name: 'node', role: 'candidate', baseUrl: `http://127.0.0.1:${(cand.address() as AddressInfo).port}`, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
        ],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { vus: 1, iterations: 1 },
      },
      ws.configFile,
    );
    const timeouts = Timeouts.parse({});
    const targets = { baseline: openTarget(loaded.baseline, timeouts), candidate: openTarget(loaded.candidate, timeouts) };
    closers.push(() => Promise.all([targets.baseline.close(), targets.candidate.close()]));
    const warnings: string[] = [];
    const thread = new CandidateThread(loaded.candidate, timeouts, { warn: (l) => warnings.push(l) });
    closers.push(() => thread.close());
    await thread.ready();
    expect(thread.broken).toBeNull();
    const w = new ShadowWindow(1, ws.out, loaded, 'inline', 60_000);
    const pairs: PairedSample[] = [];
    const server = await startShadowServer(
      { loaded, shadow: Shadow.parse({ routes: { chat: { allowWrites: true } } }), mode: 'inline', targets, candidateThread: thread, timeouts, window: () => w, copying: () => true, onPair: (p) => pairs.push(p) },
      { host: '127.0.0.1', port: 0 },
    );
    closers.push(() => server.close(0));
    const send = (n: number) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const r = await request(`${server.url}/chat-stream`, { method: 'POST', body: '{"message":"x"}', headers: { 'content-type': 'application/json' } });
          await r.body.text();
          return r.statusCode;
        }),
      );

    // 1. In the thread: every copy paired with its baseline request, and the proxy's own pool to the candidate never connected.
    expect(await send(10)).toEqual(Array(10).fill(200));
    await until(() => pairs.length === 10);
    expect(pairs.every((p) => p.candidate.outcome === 'complete' && p.candidate.requestId === p.baseline.requestId && p.candidate.target === 'node')).toBe(true);
    expect(new Set(seen)).toEqual(new Set(pairs.map((p) => p.requestId)));
    expect(targets.candidate.pool.stats.connected).toBe(0);

    // 2. The thread dies with 6 copies in it: the clients are served, the 6 are counted dropped (no pair, nothing silent).
    slow = true;
    expect(await send(6)).toEqual(Array(6).fill(200));
    await until(() => seen.length === 16);
    expect(thread.inFlight).toBe(6);
    await (thread as unknown as { worker: Worker }).worker.terminate();
    await until(() => w.counts.dropped === 6);
    expect(thread.broken).toMatch(/exited/);
    expect(warnings.join('')).toMatch(/candidate thread failed .*6 copies in it lost, counted as dropped/);
    expect(pairs.length).toBe(10);

    // 3. From then on the candidate is probed on the proxy's thread: the pairs come again.
    slow = false;
    expect(await send(4)).toEqual(Array(4).fill(200));
    await until(() => pairs.length === 14);
    expect(pairs.slice(10).every((p) => p.candidate.outcome === 'complete')).toBe(true);
    expect(targets.candidate.pool.stats.connected).toBeGreaterThan(0);
    expect(w.counts).toMatchObject({ requests: 20, dropped: 6 });
  });
});
