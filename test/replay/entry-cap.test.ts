import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import type { CaptureEntry } from '../../harness/sources/replay/capture.ts';
import { openCapture } from '../../harness/sources/replay/detect.ts';
import { splitRecords } from '../../harness/sources/replay/records.ts';
import { runCli } from '../helpers/cli.ts';
import { startCountingServer } from '../helpers/counting-server.ts';
import { gorText, parityLines, writeHar, writeReplayConfig, type Recorded } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-entry-cap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;
const T = Date.parse('2026-11-29T14:00:00.000Z');
const good = (i: number): Recorded => ({ t: T + i * 5, method: 'GET', path: `/api/items/${i}`, headers: { accept: 'application/json' } });
const readRun = (stdout: string): RunResult => JSON.parse(readFileSync(/run\.json: (.+)/.exec(stdout)![1]!.trim(), 'utf8')) as RunResult;

/** Writes `head`, then `bytes` bytes of one over-long record through a stream (64 KiB at a time, never whole in memory), then `tail`. */
async function writeWithLongRecord(file: string, head: string, prefix: string, bytes: number, tail: string): Promise<void> {
  const out = createWriteStream(file);
  out.write(head + prefix);
  const block = Buffer.alloc(64 * 1024, 'x');
  for (let left = bytes - Buffer.byteLength(prefix); left > 0; left -= block.length) {
    if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, 'drain');
  }
  out.end(tail);
  await once(out, 'finish');
}

async function collect(entries: AsyncGenerator<CaptureEntry>): Promise<CaptureEntry[]> {
  const out: CaptureEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

describe('a per-entry size cap (--max-entry-bytes): an over-long entry is a bad entry, skipped without being held', () => {
  const ndjson = path.join(dir, 'long-line.ndjson');
  beforeAll(async () => {
    // A good line, a 20 MB line (the start of a parity entry, never closed), a good line.
    const [a, b] = parityLines([good(0), good(2)]).trim().split('\n');
    await writeWithLongRecord(ndjson, `${a}\n`, '{"t": 1, "method": "POST", "path": "/api/upload", "headers": {}, "body": "', 20 * MiB, `"}\n${b}\n`);
  });

  it('the record splitter never buffers more than the cap and one chunk, and reports the over-long record with its size', async () => {
    const stats = { peakBytes: 0 };
    const records: (Buffer | { oversize: number })[] = [];
    for await (const r of splitRecords(ndjson, Buffer.from('\n'), MiB, stats)) records.push(Buffer.isBuffer(r) ? Buffer.from(r) : { oversize: r.oversize });
    expect(records).toHaveLength(3);
    expect(JSON.parse((records[0] as Buffer).toString())).toMatchObject({ path: '/api/items/0' });
    expect(records[1]).toEqual({ oversize: 20 * MiB + 2 });
    expect(JSON.parse((records[2] as Buffer).toString())).toMatchObject({ path: '/api/items/2' });
    // What the splitter held at once: at most the cap plus one 64 KiB chunk (and a separator's length), never the 20 MB line.
    expect(stats.peakBytes).toBeGreaterThan(0);
    expect(stats.peakBytes).toBeLessThanOrEqual(MiB + 64 * 1024 + 1);
  });

  it('a separator split across two chunks still ends a record, also while skipping an over-long one (GoReplay separator)', async () => {
    const sep = Buffer.from('\n🐵🙈🙉\n');
    const file = path.join(dir, 'split-sep.bin');
    // The over-long record ends 3 bytes into the separator at a 64 KiB chunk boundary; the next one likewise.
    const first = Buffer.alloc(2 * 64 * 1024 - 3, 'a');
    const second = Buffer.alloc(64 * 1024 - sep.length, 'b');
    writeFileSync(file, Buffer.concat([first, sep, second, sep, Buffer.from('c')]));
    const got: (string | { oversize: number })[] = [];
    for await (const r of splitRecords(file, sep, 64 * 1024)) got.push(Buffer.isBuffer(r) ? `${r.length}${r.toString('latin1', 0, 1)}` : { oversize: r.oversize });
    expect(got).toEqual([{ oversize: first.length }, `${second.length}b`, '1c']);
  });

  it('every reader counts the over-long entry as bad with the cap and the flag to raise it, and goes on with the next', async () => {
    const gor = path.join(dir, 'long.gor');
    const big: Recorded = { t: T + 5, method: 'POST', path: '/api/upload', headers: { 'content-type': 'text/plain' }, body: 'y'.repeat(2 * MiB) };
    // GoReplay records responses too: an over-long response (type 2) is skipped like any response, not a bad entry.
    const bigResponse = `2 ffff ${BigInt(T + 1) * 1_000_000n} 0\nHTTP/1.1 200 OK\r\ncontent-length: ${2 * MiB}\r\n\r\n${'r'.repeat(2 * MiB)}\n🐵🙈🙉\n`;
    writeFileSync(gor, gorText([good(0)]) + bigResponse + gorText([big, good(2)]));
    const har = path.join(dir, 'long.har');
    writeHar(har, [good(0), big, good(2)]);
    const log = path.join(dir, 'long.log');
    writeFileSync(log, [JSON.stringify({ msec: String(T / 1000), request_method: 'GET', request_uri: '/api/items/0' }), JSON.stringify({ msec: String(T / 1000), request_method: 'POST', request_uri: '/api/upload', request_body: 'z'.repeat(2 * MiB) }), JSON.stringify({ msec: String(T / 1000), request_method: 'GET', request_uri: '/api/items/2' })].join('\n') + '\n');
    for (const [file, at] of [[ndjson, 'line 2'], [gor, 'entry 4'], [har, 'entry 2'], [log, 'line 2']] as const) {
      const c = await openCapture(file, undefined, MiB);
      const entries = await collect(c.entries());
      const ok = entries.filter((e) => e.ok).map((e) => e.req.path);
      expect(ok, `${c.format}: ${JSON.stringify(entries.filter((e) => !e.ok))}`).toEqual(['/api/items/0', '/api/items/2']);
      const bad = entries.filter((e) => !e.ok).map((e) => e.bad);
      expect(bad, c.format).toEqual([{ at, reason: expect.stringMatching(/^entry larger than the 1 MiB cap \(\d+(\.\d)? MiB\): raise it with --max-entry-bytes/) }]);
    }
  });

  describe('parity replay --max-entry-bytes', () => {
    let servers: Awaited<ReturnType<typeof startCountingServer>>[];
    let config: string;
    beforeAll(async () => {
      servers = await Promise.all([startCountingServer(), startCountingServer()]);
      config = writeReplayConfig(dir, 'entry-cap', servers[0]!.url, servers[1]!.url);
    });
    afterAll(async () => Promise.all(servers.map((s) => s.close())));

    it('replays the good lines around a 20 MB one (counted at the servers), the long one a bad entry under --max-corrupt', async () => {
      const r = await runCli(['replay', ndjson, '--config', config, '--quiet', '--speed', 'max', '--allow-writes', '--max-entry-bytes', '1MiB', '--max-corrupt', '50%'], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(servers.map((s) => s.count())).toEqual([2, 2]);
      const run = readRun(r.stdout);
      expect(run).toMatchObject({ complete: true, samples: { pairs: 2 }, replay: { read: 3, scheduled: 2, bad: 1, maxEntryBytes: MiB, badEntries: [{ at: 'line 2', reason: expect.stringMatching(/^entry larger than the 1 MiB cap \(20 MiB\): raise it with --max-entry-bytes/) }] } });
      // The default cap (16 MiB) also refuses it; past --max-corrupt (1%): an incomplete run, exit 2.
      const d = await runCli(['replay', ndjson, '--config', config, '--quiet', '--speed', 'max', '--allow-writes'], {});
      expect(d.code, d.stderr + d.stdout).toBe(2);
      expect(readRun(d.stdout).replay).toMatchObject({ bad: 1, badEntries: [{ reason: expect.stringMatching(/the 16 MiB cap/) }] });
    }, 60_000);

    it('a cap that is not a size is exit 3 before any traffic', async () => {
      const before = servers.map((s) => s.count());
      for (const v of ['lots', '0', '1.5MiB', '16MB']) {
        const r = await runCli(['replay', ndjson, '--config', config, '--quiet', '--max-entry-bytes', v], {});
        expect(r.code, v).toBe(3);
        expect(r.stderr).toMatch(/--max-entry-bytes takes a size in bytes, or with KiB, MiB or GiB/);
      }
      expect(servers.map((s) => s.count())).toEqual(before);
    }, 60_000);
  });
});
