import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
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
  const servers = useRawServers();

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
    const config = writeReplayConfig(dir, 'gor-bytes', servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.replay).toMatchObject({ read: 2, scheduled: 2, bad: 0 });
    for (const { seen: side } of servers) {
      expect(side.map((s) => s.target.equals(Buffer.from('/api/items?q=café', 'utf8')) || s.target.equals(Buffer.from('/api/items', 'utf8')))).toEqual([true, true]);
      const get = side.find((s) => s.target.length > '/api/items'.length)!;
      expect(get.header('x-name')!.equals(Buffer.from('José', 'utf8'))).toBe(true);
      expect(side.find((s) => s.body.length)!.body.toString('utf8')).toBe(body);
    }
  }, 60_000);

  it('replays a body as its bytes: binary (not UTF-8) as captured, a chunked body as its content; a body longer than its content-length is a bad entry', async () => {
    for (const s of servers) s.seen.splice(0);
    const t = 1_796_000_100_000n * 1_000_000n;
    const entry = (i: number, head: string, b: Buffer) => Buffer.concat([Buffer.from(`1 ${i.toString(16)} ${t + BigInt(i) * 1_000_000n} 0\n${head}\r\n\r\n`), b, Buffer.from('\n🐵🙈🙉\n')]);
    const binary = Buffer.from([0x08, 0x96, 0x01, 0xff, 0xfe, 0x00, 0xc3, 0x28]);
    const file = path.join(dir, 'bodies.gor');
    writeFileSync(
      file,
      Buffer.concat([
        entry(1, `POST /bin HTTP/1.1\r\ncontent-type: application/x-protobuf\r\ncontent-length: ${binary.length}`, binary),
        entry(2, 'POST /chunked HTTP/1.1\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked', Buffer.from('5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n')),
        entry(3, 'POST /cut-chunked HTTP/1.1\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked', Buffer.from('5\r\nhel')),
        entry(4, 'POST /longer HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: 2', Buffer.from('abcd')),
      ]),
    );
    const config = writeReplayConfig(dir, 'gor-bodies', servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes', '--max-corrupt', '100%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.replay).toMatchObject({ read: 4, scheduled: 2, bad: 2 });
    expect(run.replay!.badEntries.map((b) => b.reason)).toEqual([expect.stringMatching(/chunked body is cut/), expect.stringMatching(/longer than its content-length 2/)]);
    for (const { seen: side } of servers) {
      expect(side.map((s) => s.target.toString()).sort()).toEqual(['/bin', '/chunked']);
      expect(side.find((s) => s.target.toString() === '/bin')!.body.equals(binary)).toBe(true);
      expect(side.find((s) => s.target.toString() === '/chunked')!.body.toString()).toBe('hello, world');
    }
  }, 60_000);
});
