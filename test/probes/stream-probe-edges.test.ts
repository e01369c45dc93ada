import { performance } from 'node:perf_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { probeStream, type StreamRequest } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';
import { startScriptedServer } from '../helpers/chunked-server.ts';

const timeouts = Timeouts.parse({ firstEvent: '300ms', idle: '300ms', total: '5s' });
const req: StreamRequest = { target: 't', role: 'baseline', scenario: 's', requestId: 'r1', iteration: 0, vu: 1, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: '{}' };
const profile = compileProfile(StreamProfile.parse(STREAM_PRESETS['named-events']));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function scripted(steps: Parameters<typeof startScriptedServer>[0]) {
  const server = await startScriptedServer(steps);
  const pool = new Pool(server.url);
  cleanups.push(() => server.close(), () => pool.destroy());
  return pool;
}

describe('stream probe: edges the load path relies on', () => {
  it('an interrupt mid-stream returns at once, marked aborted (not a measurement)', async () => {
    const pool = await scripted(() => [{ write: 'event: token\ndata: {"text":"a"}\n\n' }, { wait: 2000 }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const before = performance.timeOrigin + performance.now();
    const s = await probeStream(pool, profile, req, Timeouts.parse({ idle: '3s', total: '5s' }), ac.signal);
    expect(s.aborted).toBe(true);
    expect(s.error?.code).toBe('PARITY_ABORTED');
    expect(s.events).toBe(1);
    // The probe's clock starts once the request is on its connection (after the connect): count from the call.
    expect(s.startedAt - before + s.endMs).toBeGreaterThanOrEqual(140);
    expect(s.endMs).toBeLessThan(1000);
  });

  it('an already interrupted run sends nothing', async () => {
    const server = await startScriptedServer(() => [{ write: 'event: done\ndata: {}\n\n' }]);
    const pool = new Pool(server.url);
    cleanups.push(() => server.close(), () => pool.destroy());
    const s = await probeStream(pool, profile, req, timeouts, AbortSignal.abort());
    expect(s.aborted).toBe(true);
    expect(s.headersMs).toBeUndefined();
    expect(server.requests).toBe(0);
  });

  it('many probes on one signal are all interrupted, and a finished one is not touched', async () => {
    const pool = await scripted(() => [{ write: 'event: token\ndata: {"text":"a"}\n\n' }, { wait: 2000 }]);
    const quick = await scripted(() => [{ write: 'event: token\ndata: {"text":"b"}\n\nevent: done\ndata: {}\n\n' }]);
    const ac = new AbortController();
    const done = await probeStream(quick, profile, req, timeouts, ac.signal);
    const slow = Array.from({ length: 5 }, () => probeStream(pool, profile, req, Timeouts.parse({ idle: '3s', total: '5s' }), ac.signal));
    setTimeout(() => ac.abort(), 150);
    for (const s of await Promise.all(slow)) expect(s.aborted).toBe(true);
    expect(done.outcome).toBe('complete');
    expect(done.aborted).toBeUndefined();
  });

  it('first event never comes: stalled with the first-event code', async () => {
    const pool = await scripted(() => [{ write: ': only a comment\n\n' }, { wait: 800 }]);
    const s = await probeStream(pool, profile, req, timeouts);
    expect(s.outcome).toBe('stalled');
    expect(s.error?.code).toBe('PARITY_FIRST_EVENT_TIMEOUT');
    expect(s.headersMs).toBeDefined();
  });

  it('a stream kept open after its terminal event is complete, ended by the idle limit', async () => {
    const pool = await scripted(() => [{ write: 'event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n' }, { wait: 1500 }]);
    const s = await probeStream(pool, profile, req, timeouts);
    expect(s.outcome).toBe('complete');
    expect(s.error).toBeUndefined();
    expect(s.endMs).toBeGreaterThanOrEqual(290);
    expect(s.endMs).toBeLessThan(1400);
  });

  it('a non-2xx response is an http_error whose message quotes the body (200 characters at most)', async () => {
    const body = `\ufeff{"error":"${'x'.repeat(10_000)}"}`;
    const server = http.createServer((_q, res) => res.writeHead(503, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    cleanups.push(() => new Promise((r) => server.close(() => r())), () => pool.destroy());
    const s = await probeStream(pool, profile, req, timeouts);
    expect(s.outcome).toBe('http_error');
    expect(s.status).toBe(503);
    expect(s.bytes).toBe(0);
    expect(s.error?.message).toBe(`HTTP 503: ${body.slice(1, 201)}…`);
  });
});
