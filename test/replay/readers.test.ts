import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureEntry, CapturedRequest } from '../../harness/sources/replay/capture.ts';
import { detectFormat, openCapture } from '../../harness/sources/replay/detect.ts';
import { gorText, nginxLines, parityLines, writeHar, type Recorded } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-readers-'));
const T = Date.parse('2026-11-29T14:00:00.000Z');

const REQS: Recorded[] = [
  { t: T, method: 'GET', path: '/api/items?page=2&q=a%20b', headers: { accept: 'application/json', 'user-agent': 'ua/1' } },
  { t: T + 37, method: 'POST', path: '/chat-stream', headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: '{"messages":[{"role":"user","content":"héllo\\nworld 🐵"}]}' },
  { t: T + 120, method: 'DELETE', path: '/api/items/7', headers: { accept: 'application/json' } },
  { t: T + 121, method: 'PUT', path: '/api/items/8', headers: { 'content-type': 'text/plain' }, body: 'line one\r\nline two\n' },
];

async function collect(file: string): Promise<{ format: string; reqs: CapturedRequest[]; bad: { at: string; reason: string }[] }> {
  const c = await openCapture(file);
  const reqs: CapturedRequest[] = [];
  const bad: { at: string; reason: string }[] = [];
  for await (const e of c.entries() as AsyncGenerator<CaptureEntry>) {
    if (e.ok) reqs.push(e.req);
    else bad.push(e.bad);
  }
  return { format: c.format, reqs, bad };
}

const essentials = (rs: CapturedRequest[]) => rs.map((r) => ({ t: r.t, method: r.method, path: r.path, body: r.body, accept: r.headers.accept, contentType: r.headers['content-type'] }));
const expected = REQS.map((r) => ({ t: r.t, method: r.method, path: r.path, body: r.body, accept: r.headers.accept, contentType: r.headers['content-type'] }));

describe('capture readers', () => {
  it('a parity capture body that is bytes (not UTF-8) is read from base64 with bodyEncoding, as a HAR postData.encoding; another encoding is a bad entry', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x7f]);
    const file = path.join(dir, 'encoded.ndjson');
    const rec = (i: number, extra: object) => JSON.stringify({ t: T + i, requestId: `r${i}`, method: 'POST', path: `/b/${i}`, headers: {}, ...extra });
    writeFileSync(file, [rec(0, { body: bytes.toString('base64'), bodyEncoding: 'base64' }), rec(1, { body: Buffer.from('{"a":"é"}').toString('base64'), bodyEncoding: 'base64' }), rec(2, { body: '7b7d', bodyEncoding: 'hex' }), rec(3, { body: 'plain' })].join('\n') + '\n');
    const r = await collect(file);
    expect(r.bad).toEqual([]);
    expect(Buffer.isBuffer(r.reqs[0]!.body) && (r.reqs[0]!.body as Buffer).equals(bytes)).toBe(true);
    expect(r.reqs.slice(1).map((q) => q.body)).toEqual(['{"a":"é"}', undefined, 'plain']);
    expect(r.reqs.map((q) => q.unusable)).toEqual([undefined, undefined, 'bodyEncoding "hex" is not understood (base64 is): the body\'s bytes are unknown', undefined]);
  });

  it('a HAR entry that is no HTTP request (a WebSocket, a browser extension, a data: URL) is a bad entry, never sent as a GET of its path', async () => {
    const har = path.join(dir, 'schemes.har');
    const urls = ['wss://example.test/socket', 'chrome-extension://abcdef/script.js', 'data:text/plain,hi', 'HTTPS://example.test/ok'];
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', entries: urls.map((url) => ({ startedDateTime: new Date(T).toISOString(), request: { method: 'GET', url, headers: [] } })) } }));
    const r = await collect(har);
    expect(r.reqs.map((q) => q.path)).toEqual(['/ok']);
    expect(r.bad.map((b) => b.reason)).toEqual(urls.slice(0, 3).map((u) => `path ${JSON.stringify(u)} does not start with "/"`));
  });

  it('a header repeated in a HAR (HTTP/2 splits cookies) or a .gor head is joined, never overwritten by its last line', async () => {
    const har = path.join(dir, 'repeated.har');
    const headers = [{ name: 'cookie', value: 'a=1' }, { name: 'Cookie', value: 'b=2' }, { name: 'x-forwarded-for', value: '10.0.0.1' }, { name: 'X-Forwarded-For', value: '10.0.0.2' }, { name: ':authority', value: 'example.test' }];
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', entries: [{ startedDateTime: new Date(T).toISOString(), request: { method: 'GET', url: 'https://example.test/x', headers } }] } }));
    const gor = path.join(dir, 'repeated.gor');
    writeFileSync(gor, `1 a1 ${BigInt(T) * 1_000_000n} 0\nGET /x HTTP/1.1\r\ncookie: a=1\r\ncookie: b=2\r\nx-forwarded-for: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\n\r\n\n🐵🙈🙉\n`);
    for (const file of [har, gor]) {
      const r = await collect(file);
      expect(r.reqs.map((q) => q.headers), file).toEqual([{ cookie: 'a=1; b=2', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }]);
    }
  });

  it('a HAR (one pretty-printed JSON document) streams its entries, in order, with method, path, headers, body and time', async () => {
    const file = path.join(dir, 'a.har');
    writeHar(file, REQS);
    const r = await collect(file);
    expect(r.format).toBe('har');
    expect(r.bad).toEqual([]);
    expect(essentials(r.reqs)).toEqual(expected);
    expect(r.reqs[0]!.headers['user-agent']).toBe('ua/1');
  });

  it('a .gor file in GoReplay format parses to the same requests as the equivalent HAR; responses are skipped', async () => {
    const har = path.join(dir, 'same.har');
    const gor = path.join(dir, 'same.gor');
    writeHar(har, REQS);
    writeFileSync(gor, gorText(REQS));
    const a = await collect(har);
    const b = await collect(gor);
    expect(b.format).toBe('gor');
    expect(b.bad).toEqual([]);
    expect(essentials(b.reqs)).toEqual(essentials(a.reqs));
    for (let i = 0; i < REQS.length; i++) expect(b.reqs[i]!.headers).toMatchObject(a.reqs[i]!.headers);
  });

  it("parity's own capture NDJSON and nginx escape=json logs give the same requests", async () => {
    const p = path.join(dir, 'cap.ndjson');
    const n = path.join(dir, 'access.log');
    writeFileSync(p, parityLines(REQS));
    writeFileSync(n, nginxLines(REQS));
    const a = await collect(p);
    const b = await collect(n);
    expect([a.format, b.format]).toEqual(['parity', 'access-log']);
    expect(essentials(a.reqs)).toEqual(expected);
    // nginx logs an empty body as "" and the header fields it was told to log.
    expect(essentials(b.reqs)).toEqual(expected.map((e) => ({ ...e, contentType: e.contentType, accept: e.accept })));
  });

  it('corrupt and truncated entries are listed with their line or entry numbers; the rest is read', async () => {
    const p = path.join(dir, 'bad.ndjson');
    const lines = parityLines(REQS).trim().split('\n');
    lines.splice(1, 0, '{"t": 1, "method": "GET", "pa');
    lines.splice(3, 0, '{"t": 5, "method": "G E T", "path": "/x", "headers": {}}');
    writeFileSync(p, lines.join('\n') + '\n');
    const a = await collect(p);
    expect(a.reqs).toHaveLength(4);
    expect(a.bad).toEqual([
      { at: 'line 2', reason: expect.stringMatching(/corrupt or truncated/) },
      { at: 'line 4', reason: expect.stringMatching(/not an HTTP method/) },
    ]);

    const har = path.join(dir, 'cut.har');
    writeHar(har, REQS);
    const text = (await import('node:fs')).readFileSync(har, 'utf8');
    writeFileSync(har, text.slice(0, text.indexOf('"DELETE"') + 20));
    const h = await collect(har);
    expect(essentials(h.reqs)).toEqual(expected.slice(0, 2));
    expect(h.bad).toEqual([{ at: 'entry 3', reason: expect.stringMatching(/truncated/) }]);

    const gor = path.join(dir, 'bad.gor');
    const g = gorText(REQS).split('\n🐵🙈🙉\n');
    g[2] = 'garbage without a header';
    writeFileSync(gor, g.join('\n🐵🙈🙉\n'));
    const gr = await collect(gor);
    expect(gr.reqs.map((r) => r.method)).toEqual(['GET', 'DELETE', 'PUT']);
    expect(gr.bad).toEqual([{ at: 'entry 3', reason: expect.stringMatching(/GoReplay header/) }]);
  });

  it('an unknown format is exit 3 naming the formats understood', async () => {
    const f = path.join(dir, 'x.csv');
    writeFileSync(f, 'a,b,c\n1,2,3\n');
    await expect(openCapture(f)).rejects.toMatchObject({ code: 'PARITY_USAGE', message: expect.stringMatching(/parity capture NDJSON.*HAR 1\.2.*GoReplay \.gor.*nginx\/Envoy JSON access logs/) });
    expect(detectFormat('{"foo": 1}')).toBeUndefined();
    expect(detectFormat('1 a1b2 1700000000000000000 0\nGET / HTTP/1.1')).toBe('gor');
  });
});
