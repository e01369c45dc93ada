import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { readParityCapture } from '../../harness/sources/replay/parity-ndjson.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * A request body that is not UTF-8 text (an image upload, a protobuf, a gzip) goes through the
 * inline proxy to the baseline byte for byte, and to the candidate as the same bytes; the capture
 * keeps those bytes (base64) for replay. The proxy read every body as UTF-8 text: each invalid
 * byte became U+FFFD (three bytes) on the way to the baseline, a real user's upload corrupted.
 */
const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xe2, 0x82]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function recorder(seen: { path: string; hash: string; length: number; contentLength: string | undefined }[]): Promise<string> {
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = Buffer.concat(parts);
    seen.push({ path: req.url ?? '', hash: sha(body), length: body.length, contentLength: req.headers['content-length'] });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received: body.length }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('binary request bodies through parity shadow', () => {
  it('reach the baseline and the candidate as the bytes the client sent, and the capture keeps them', async () => {
    const b: Parameters<typeof recorder>[0] = [];
    const c: Parameters<typeof recorder>[0] = [];
    const [bu, cu] = await Promise.all([recorder(b), recorder(c)]);
    const config: ConfigInput = {
      name: 'shadow binary',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: bu, routes: { upload: 'POST /upload' } },
        { name: 'node', role: 'candidate', baseUrl: cu, routes: { upload: 'POST /upload' } },
      ],
      shadow: { routes: { upload: { allowWrites: true, kind: 'request' } }, window: '1m' },
      load: { vus: 1, iterations: 1 },
      preflight: { retries: 0, interval: 10 },
    };
    const capture = path.join(mkdtempSync(path.join(tmpdir(), 'parity-bin-')), 'capture.ndjson');
    const s = await startShadow(config, { capture });
    try {
      for (const p of ['/upload', '/elsewhere']) {
        const r = await request(`${s.url}${p}`, { method: 'POST', body: BINARY, headers: { 'content-type': 'application/octet-stream' } });
        expect(await r.body.json()).toEqual({ received: BINARY.length });
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await s.stop();
    }
    // The baseline got both (the compared route and a path no route matches), byte for byte.
    expect(b.map((x) => x.path).sort()).toEqual(['/elsewhere', '/upload']);
    for (const x of b) expect(x).toMatchObject({ hash: sha(BINARY), length: BINARY.length, contentLength: String(BINARY.length) });
    // The candidate got the copy of the compared route, the same bytes.
    expect(c).toEqual([{ path: '/upload', hash: sha(BINARY), length: BINARY.length, contentLength: String(BINARY.length) }]);
    // The capture holds the bytes, and replay reads them back as sent.
    const line = JSON.parse(readFileSync(capture, 'utf8').trim()) as { body: string; bodyEncoding?: string };
    expect(line.bodyEncoding).toBe('base64');
    const read = [];
    for await (const r of readParityCapture(capture, 1 << 20)) read.push(r);
    expect(read).toHaveLength(1);
    const entry = read[0]!;
    expect(entry.ok).toBe(true);
    if (entry.ok) expect(Buffer.compare(Buffer.from(entry.req.body as Buffer), BINARY)).toBe(0);
  });
});
