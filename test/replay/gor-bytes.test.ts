import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * A GoReplay capture holds raw bytes: a client that sent a path or a header with unencoded UTF-8
 * (`/api/items?q=café`, `x-name: José`) left those bytes in the .gor file. Read as UTF-8 they became
 * characters beyond U+00FF, which no request line can carry: the entries were counted unsendable
 * and never replayed. The head is now read as Latin-1 (one character per byte) and goes out as the
 * very bytes captured; the body stays UTF-8 text.
 */
describe('parity replay of a .gor capture with raw non-ASCII bytes in its request head', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-gor-bytes-'));
  const seen: { url: Buffer; name: Buffer; body: string }[][] = [[], []];
  const servers: net.Server[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    for (const i of [0, 1]) {
      // A raw HTTP/1.1 server: Node's own parser answers 400 to raw non-ASCII bytes in a request
      // target (strict, as some backends are; nginx and Go take them), and this test is about the bytes.
      const server = net.createServer((socket) => {
        let buf = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
            const head = buf.subarray(0, end);
            const lines = head.toString('latin1').split('\r\n');
            const header = (name: string) => lines.slice(1).find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
            const length = Number(header('content-length') ?? 0);
            if (buf.length < end + 4 + length) return;
            const target = lines[0]!.split(' ')[1]!;
            seen[i]!.push({ url: Buffer.from(target, 'latin1'), name: Buffer.from(header('x-name') ?? '', 'latin1'), body: buf.subarray(end + 4, end + 4 + length).toString('utf8') });
            buf = buf.subarray(end + 4 + length);
            socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
          }
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('replays the captured bytes of the path and headers, and the body as text', async () => {
    const t = 1_796_000_000_000n * 1_000_000n;
    const body = '{"q":"héllo 🐵"}';
    const entry = (i: number, head: string, b?: string) =>
      Buffer.concat([Buffer.from(`1 ${i.toString(16)} ${t + BigInt(i) * 1_000_000n} 0\n`), Buffer.from(head, 'utf8'), Buffer.from(`\r\n\r\n${b ?? ''}\n🐵🙈🙉\n`, 'utf8')]);
    const file = path.join(dir, 'bytes.gor');
    writeFileSync(
      file,
      Buffer.concat([
        entry(1, 'GET /api/items?q=café HTTP/1.1\r\nx-name: José'),
        entry(2, `POST /api/items HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-name: plain`, body),
      ]),
    );
    const config = writeReplayConfig(dir, 'gor-bytes', urls[0]!, urls[1]!);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.replay).toMatchObject({ read: 2, scheduled: 2, bad: 0 });
    for (const side of seen) {
      expect(side.map((s) => s.url.equals(Buffer.from('/api/items?q=café', 'utf8')) || s.url.equals(Buffer.from('/api/items', 'utf8')))).toEqual([true, true]);
      const get = side.find((s) => s.url.length > '/api/items'.length)!;
      expect(get.name.equals(Buffer.from('José', 'utf8'))).toBe(true);
      expect(side.find((s) => s.body)!.body).toBe(body);
    }
  }, 60_000);
});
