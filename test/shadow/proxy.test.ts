import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { startShadow, type RunningShadow } from '../helpers/shadow.ts';

// The inline proxy hands the client exactly what the baseline sent, byte for byte, as it arrives,
// whatever the candidate does (down, slow, resetting, answering 100 MB).

const euro = Buffer.from('€', 'utf8');
/** SSE in awkward pieces: LF and CRLF lines, a comment, a UTF-8 character split across writes. */
const SSE_CHUNKS: Buffer[] = [
  Buffer.from(': keep-alive comment\n\n'),
  Buffer.from('event: token\r\ndata: {"text":"price 5'),
  euro.subarray(0, 1),
  euro.subarray(1),
  Buffer.from('"}\r\n\r\n'),
  Buffer.from('event: token\ndata: {"text":"ok"}\n\n'),
  Buffer.from('event: done\ndata: {}\n\n'),
];
const JSON_BODY = Buffer.from(JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}` })) }));

type Behaviour = 'ok' | 'slow' | 'reset' | 'huge';

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** The baseline: SSE on POST /chat, JSON on GET /items, each write its own segment. */
function baselineHandler(seen: string[]): http.RequestListener {
  return async (req, res) => {
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    seen.push(`${req.method} ${req.url} ${Buffer.concat(body).toString()}`);
    res.socket?.setNoDelay(true);
    if (req.url?.startsWith('/items')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'baseline' });
      res.end(JSON_BODY);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-served-by': 'baseline' });
    for (const c of SSE_CHUNKS) {
      await new Promise<void>((r) => res.write(c, () => setTimeout(r, 5)));
    }
    res.end();
  };
}

function candidateHandler(behaviour: () => Behaviour, seen: string[]): http.RequestListener {
  return async (req, res) => {
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    seen.push(`${req.method} ${req.url} ${Buffer.concat(body).toString()} ${req.headers['x-session'] ?? ''}`);
    const b = behaviour();
    if (b === 'reset') return req.socket.destroy();
    if (b === 'slow') await new Promise((r) => setTimeout(r, 3000));
    if (b === 'huge') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const mb = Buffer.alloc(1 << 20, 'x');
      for (let i = 0; i < 100 && !res.destroyed; i++) if (!res.write(mb)) await new Promise((r) => res.once('drain', r));
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n');
  };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function fetchAll(url: string, method: string, body?: string) {
  const t0 = performance.now();
  const r = await request(url, { method: method as 'GET', body, headers: body ? { 'content-type': 'application/json' } : {} });
  const buf = Buffer.from(await r.body.arrayBuffer());
  return { status: r.statusCode, type: r.headers['content-type'], servedBy: r.headers['x-served-by'], hash: sha(buf), bytes: buf.length, ms: performance.now() - t0 };
}

function config(baselineUrl: string, candidateUrl: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    name: 'shadow proxy test',
    targets: [
      { name: 'py', role: 'baseline', baseUrl: baselineUrl, routes: { chat: 'POST /chat', items: 'GET /items' }, stream: 'named-events' },
      { name: 'node', role: 'candidate', baseUrl: candidateUrl, routes: { chat: 'POST /v2/chat', items: 'GET /v2/items' }, stream: 'named-events' },
    ],
    shadow: { routes: { chat: { allowWrites: true }, items: {} }, window: '1m', rewrite: [{ body: '/session_id', prefix: 'shadow-' }, { header: 'x-session', prefix: 'shadow-' }] },
    load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '5s', total: '10s' } },
    preflight: { retries: 0, interval: 10 },
    ...extra,
  };
}

describe('inline shadow proxy', () => {
  const baselineSeen: string[] = [];
  const candidateSeen: string[] = [];
  let behaviour: Behaviour = 'ok';
  let baseline: Awaited<ReturnType<typeof listen>>;
  let candidate: Awaited<ReturnType<typeof listen>>;
  let shadow: RunningShadow;
  let direct: { sse: Awaited<ReturnType<typeof fetchAll>>; json: Awaited<ReturnType<typeof fetchAll>> };

  beforeAll(async () => {
    baseline = await listen(baselineHandler(baselineSeen));
    candidate = await listen(candidateHandler(() => behaviour, candidateSeen));
    shadow = await startShadow(config(baseline.url, candidate.url));
    direct = { sse: await fetchAll(`${baseline.url}/chat`, 'POST', '{"session_id":"s1","message":"hi"}'), json: await fetchAll(`${baseline.url}/items?page=2`, 'GET') };
  });
  afterAll(async () => {
    await shadow?.stop();
    await Promise.all([baseline?.close(), candidate?.close()]);
  });

  for (const b of ['ok', 'slow', 'reset', 'huge'] as const) {
    it(`hands the client the baseline's exact bytes while the candidate is ${b}`, async () => {
      behaviour = b;
      const sse = await fetchAll(`${shadow.url}/chat`, 'POST', '{"session_id":"s1","message":"hi"}');
      const json = await fetchAll(`${shadow.url}/items?page=2`, 'GET');
      expect(sse).toMatchObject({ status: 200, type: 'text/event-stream', servedBy: 'baseline', hash: direct.sse.hash, bytes: direct.sse.bytes });
      expect(json).toMatchObject({ status: 200, type: 'application/json', servedBy: 'baseline', hash: direct.json.hash, bytes: JSON_BODY.length });
      // The slow candidate answers after 3 s: the client never waits for it.
      if (b === 'slow') expect(sse.ms).toBeLessThan(2000);
    });
  }

  it('hands the client the baseline answer while the candidate is down', async () => {
    const down = await listen(() => undefined);
    const url = down.url;
    await down.close();
    const s = await startShadow(config(baseline.url, url));
    try {
      const sse = await fetchAll(`${s.url}/chat`, 'POST', '{"session_id":"s1"}');
      expect(sse).toMatchObject({ status: 200, hash: direct.sse.hash });
    } finally {
      await s.stop();
    }
  });

  it('copies to the candidate with rewritten session ids, never to the baseline', async () => {
    behaviour = 'ok';
    baselineSeen.length = 0;
    candidateSeen.length = 0;
    await request(`${shadow.url}/chat`, { method: 'POST', body: '{"session_id":"abc","message":"m"}', headers: { 'content-type': 'application/json', 'x-session': 'sess-1', cookie: 'sid=secret' } }).then((r) => r.body.text());
    await new Promise((r) => setTimeout(r, 300));
    expect(baselineSeen).toEqual(['POST /chat {"session_id":"abc","message":"m"}']);
    expect(candidateSeen).toEqual(['POST /v2/chat {"session_id":"shadow-abc","message":"m"} shadow-sess-1']);
  });
});

describe('capture', () => {
  it('--capture writes each copied request, after header drops and rewrites, one JSON line each', async () => {
    const baseline = await listen(baselineHandler([]));
    const candidate = await listen(candidateHandler(() => 'ok', []));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'parity-capture-')), 'capture.ndjson');
    const s = await startShadow(config(baseline.url, candidate.url), { capture: file });
    try {
      await fetchAll(`${s.url}/chat`, 'POST', '{"session_id":"abc","message":"m"}');
      await request(`${s.url}/items?page=3`, { headers: { cookie: 'sid=1', 'x-request-id': 'r-1' } }).then((r) => r.body.dump());
      await request(`${s.url}/unknown`).then((r) => r.body.dump());
    } finally {
      await s.stop();
      await Promise.all([baseline.close(), candidate.close()]);
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ route: 'chat', method: 'POST', path: '/chat', body: '{"session_id":"shadow-abc","message":"m"}' });
    expect(lines[1]).toMatchObject({ route: 'items', method: 'GET', path: '/items?page=3', requestId: 'r-1' });
    expect(lines[1].headers.cookie).toBeUndefined();
    expect(typeof lines[1].t).toBe('number');
  });
});

describe('write safety', () => {
  it('does not copy a POST whose route did not opt in, and still serves it from the baseline', async () => {
    const bSeen: string[] = [];
    const cSeen: string[] = [];
    const baseline = await listen(baselineHandler(bSeen));
    const candidate = await listen(candidateHandler(() => 'ok', cSeen));
    const cfg = config(baseline.url, candidate.url);
    cfg.shadow = { routes: { chat: {}, items: {} }, window: '1m' };
    const s = await startShadow(cfg);
    try {
      const sse = await fetchAll(`${s.url}/chat`, 'POST', '{"session_id":"x"}');
      await fetchAll(`${s.url}/items`, 'GET');
      await new Promise((r) => setTimeout(r, 300));
      expect(sse.status).toBe(200);
      expect(bSeen.length).toBe(2);
      expect(cSeen.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['GET /v2/items']);
    } finally {
      await s.stop();
      const run = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
      expect(run.shadow).toMatchObject({ requests: 2, unsafe: 1, unmatched: 0 });
      expect(run.samples.pairs).toBe(1);
      await Promise.all([baseline.close(), candidate.close()]);
    }
  });
});
