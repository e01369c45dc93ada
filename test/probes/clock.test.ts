import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { StreamProbe } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';

/**
 * Clock truth: each probe's clock starts when its own request is handed to its connection, not
 * when it was made. A server that delays accepting the connection makes the difference visible:
 * the connect wait must not be in the probe's timings, and `startedAt` must be the (fractional)
 * epoch time the request went out, after the wait.
 */
describe('stream probe clock', () => {
  let server: http.Server;
  let url: string;
  const arrived: number[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      arrived.push(performance.timeOrigin + performance.now());
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('starts when the request is handed to the connection: a wait before that is not in its timings', async () => {
    // A connector that holds the connection back 150 ms: a slow connect (or a wait for a free connection).
    const pool = new Pool(url, {
      connect: (opts, cb) => {
        setTimeout(() => {
          const socket = net.connect({ host: opts.hostname, port: Number(opts.port) });
          socket.once('connect', () => cb(null, socket));
          socket.once('error', (e) => cb(e, null));
        }, 150);
      },
    });
    const made = performance.timeOrigin + performance.now();
    const probe = new StreamProbe(compileProfile(StreamProfile.parse(STREAM_PRESETS.openai)), { target: 't', role: 'baseline', scenario: 's', requestId: 'r', iteration: 0, vu: 0, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: '{}' }, Timeouts.parse({}));
    const s = await probe.run(pool);
    await pool.close();
    expect(s.outcome).toBe('complete');
    expect(s.startedAt - made).toBeGreaterThanOrEqual(145);
    // Fractional epoch ms, and before the server saw the request.
    expect(Number.isInteger(s.startedAt)).toBe(false);
    expect(s.startedAt).toBeLessThanOrEqual(arrived[arrived.length - 1]!);
    expect(s.headersMs!).toBeLessThan(145);
  });
});

describe('chunks are timed when read, parsed at the end of the turn', () => {
  it("a stream's chunk read right after other streams' chunks is not timed after their parsing", async () => {
    const profile = compileProfile(StreamProfile.parse(STREAM_PRESETS.openai));
    const req = (id: string) => ({ target: 't', role: 'baseline' as const, scenario: 's', requestId: id, iteration: 0, vu: 0, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: '{}' });
    // A dispatcher that hands the probe its connection and headers at once; the body comes from the test.
    const dispatcher = { dispatch: (_o: unknown, h: StreamProbe) => (h.onConnect(() => undefined), h.onHeaders(200, []), true) };
    const event = (i: number) => `data: {"choices":[{"index":0,"delta":{"content":"token ${i} "},"finish_reason":null}]}\n\n`;
    // 40 streams with ~55 KB each (under the size a stream is parsed at once), then one small one, all read in one turn.
    const chunk = Buffer.from(Array.from({ length: 500 }, (_, i) => event(i)).join(''));
    const others = Array.from({ length: 40 }, (_, k) => new StreamProbe(profile, req(`a${k}`), Timeouts.parse({})));
    const b = new StreamProbe(profile, req('b'), Timeouts.parse({}));
    const results = [...others, b].map((p) => p.run(dispatcher as never));
    for (const p of others) p.onData(chunk);
    b.onData(Buffer.from(event(0)));
    // Parsed at the end of the turn, in slices, and the rest when each stream completes: parsedMs covers all of it.
    const parse = performance.now();
    await new Promise((r) => setImmediate(r));
    for (const p of [...others, b]) p.onComplete();
    const samples = await Promise.all(results);
    const parsedMs = performance.now() - parse;
    expect(samples.map((s) => s.events)).toEqual([...others.map(() => 500), 1]);
    // Epoch time of each stream's first event: b's chunk was read microseconds after the first of the others'.
    const firstAt = (s: (typeof samples)[number]) => s.startedAt + s.firstEventMs!;
    expect(parsedMs, 'parsing 20,000 events takes long enough to show').toBeGreaterThan(20);
    expect(firstAt(samples[40]!) - firstAt(samples[0]!)).toBeLessThan(parsedMs / 4);
  });
});
