import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * undici writes a path string one byte per character (Latin-1) and refuses characters beyond
 * U+00FF. The JSON-based captures hold text, so each format says what its characters stand for:
 * a HAR URL is sent as a browser sends it (non-ASCII percent-encoded as UTF-8; nothing else
 * normalized), an access log's raw path as the UTF-8 bytes nginx logged, and parity's own capture
 * (node:http's req.url, ASCII: node answers 400 to raw non-ASCII) never holds non-ASCII, so such a
 * path is a bad entry. Before, `café` went out as the one byte 0xE9, `日本` was "unsendable", and a
 * HAR URL went through a URL parser (`/a/../b` sent as `/b`). The server here reads raw bytes.
 */
describe('parity replay of non-ASCII request paths from JSON-based captures', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-nonascii-'));
  const servers = useRawServers();
  const t0 = Date.parse('2026-11-30T10:00:00Z');

  /** Replays `file`; returns run.json and the targets each server saw (as bytes), then forgets them. */
  async function replay(name: string, file: string): Promise<{ run: RunResult; seen: Buffer[][] }> {
    const config = writeReplayConfig(dir, name, servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--max-corrupt', '100%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    const seen = servers.map((s) => s.seen.splice(0).map((q) => q.target));
    return { run, seen };
  }
  const sorted = (bs: Buffer[]) => bs.map((b) => b.toString('hex')).sort();

  it('a HAR URL goes out as a browser sends it: non-ASCII percent-encoded (UTF-8), spaces as %20, nothing else changed', async () => {
    const urls = ['http://example.test/items/日本?q=café', 'http://example.test/a/../b%20c?x=1#frag', 'http://example.test?x=1', 'http://example.test/sp ace', '/rel/é'];
    const entries = urls.map((url, i) => ({ startedDateTime: new Date(t0 + i).toISOString(), request: { method: 'GET', url, headers: [], bodySize: 0 } }));
    const file = path.join(dir, 'paths.har');
    writeFileSync(file, JSON.stringify({ log: { version: '1.2', entries } }));
    const { run, seen } = await replay('har', file);
    expect(run.replay).toMatchObject({ read: 5, scheduled: 5, bad: 0 });
    const want = ['/items/%E6%97%A5%E6%9C%AC?q=caf%C3%A9', '/a/../b%20c?x=1', '/?x=1', '/sp%20ace', '/rel/%C3%A9'].map((p) => Buffer.from(p));
    for (const side of seen) expect(sorted(side)).toEqual(sorted(want));
  }, 60_000);

  it('an nginx access log path goes out as the raw UTF-8 bytes it logged; a line that is not UTF-8 is a bad entry', async () => {
    const line = (i: number, uri: string) => Buffer.from(JSON.stringify({ msec: ((t0 + i) / 1000).toFixed(3), request_method: 'GET', request_uri: uri, request_body: '' }) + '\n', 'utf8');
    const file = path.join(dir, 'paths.log');
    // A Latin-1 client's raw byte 0xE9, which nginx logs as it came: not UTF-8.
    const latin1 = Buffer.concat([Buffer.from(`{"msec":"${((t0 + 3) / 1000).toFixed(3)}","request_method":"GET","request_uri":"/latin1?q=caf`), Buffer.from([0xe9]), Buffer.from('","request_body":""}\n')]);
    writeFileSync(file, Buffer.concat([line(0, '/search?q=café'), line(1, '/items/日本'), line(2, '/plain?q=caf%C3%A9'), latin1]));
    const { run, seen } = await replay('log', file);
    expect(run.replay).toMatchObject({ read: 4, scheduled: 3, bad: 1, unsendable: 1 });
    expect(run.replay!.badEntries[0]).toMatchObject({ at: 'line 4', reason: expect.stringMatching(/not UTF-8 text: bytes of it .* were lost/) });
    const want = ['/search?q=café', '/items/日本', '/plain?q=caf%C3%A9'].map((p) => Buffer.from(p, 'utf8'));
    for (const side of seen) expect(sorted(side)).toEqual(sorted(want));
  }, 60_000);

  it("parity's own capture: an ASCII path goes out as recorded; a non-ASCII one, which its capture never writes, is a bad entry with the fix", async () => {
    const rec = (i: number, p: string) => JSON.stringify({ t: t0 + i, requestId: `r-${i}`, route: 'search', method: 'GET', path: p, headers: {} });
    const file = path.join(dir, 'paths.ndjson');
    writeFileSync(file, [rec(0, '/search?q=caf%C3%A9'), rec(1, '/search?q=café'), rec(2, '/items/日本'), rec(3, '/search?q=x')].join('\n') + '\n');
    const { run, seen } = await replay('parity', file);
    expect(run.replay).toMatchObject({ read: 4, scheduled: 2, bad: 2, unsendable: 2 });
    for (const b of run.replay!.badEntries) expect(b.reason).toMatch(/non-ASCII characters, which parity's capture never records .*percent-encode them/);
    for (const side of seen) expect(sorted(side)).toEqual(sorted([Buffer.from('/search?q=caf%C3%A9'), Buffer.from('/search?q=x')]));
  }, 60_000);
});
