import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import type { CaptureEntry } from '../../harness/sources/replay/capture.ts';
import { describeReplay, ReplayFeed } from '../../harness/sources/replay/feed.ts';
import { runCli } from '../helpers/cli.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * summary.md and report.html said "N requests replayed" for the requests scheduled, counting
 * starts dropped at --max-in-flight that were never sent. They now say scheduled, and how many of
 * those were dropped (never measured).
 */
describe('the replay section of the reports counts what was sent', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-counts-'));
  const servers: http.Server[] = [];
  const urls: string[] = [];
  let got = 0;
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      // Slow enough that the first request is still in flight when the others' recorded moment comes.
      const s = http.createServer((req, res) => {
        got++;
        req.resume();
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 400);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('three requests recorded at one moment with --max-in-flight 1: 3 scheduled, 2 dropped, said so in summary.md and report.html', async () => {
    const t = Date.parse('2026-11-30T10:00:00Z');
    const file = path.join(dir, 'same-moment.ndjson');
    writeFileSync(file, [0, 1, 2].map((i) => JSON.stringify({ t, requestId: `r${i}`, method: 'GET', path: `/api/items/${i}`, headers: {} })).join('\n') + '\n');
    const config = writeReplayConfig(dir, 'counts', urls[0]!, urls[1]!);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--max-in-flight', '1'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const runFile = /run\.json: (.+)/.exec(r.stdout)![1]!.trim();
    const run = JSON.parse(readFileSync(runFile, 'utf8')) as RunResult;
    expect(run).toMatchObject({ load: { dropped: 2 }, samples: { pairs: 1 }, replay: { scheduled: 3 } });
    expect(got).toBe(2);
    const said = '3 requests scheduled (2 dropped at --max-in-flight: never measured)';
    expect(readFileSync(path.join(path.dirname(runFile), 'summary.md'), 'utf8')).toContain(said);
    expect(readFileSync(path.join(path.dirname(runFile), 'report.html'), 'utf8')).toContain(said);
  }, 60_000);
});

describe('a capture out of time order (ReplayFeed)', () => {
  it('counts each request recorded before one read ahead of it, once, over every --loop pass', async () => {
    const ts = [1000, 1010, 1005, 1020, 990, 1030];
    async function* entries(): AsyncGenerator<CaptureEntry> {
      for (const [i, t] of ts.entries()) yield { ok: true, req: { t, method: 'GET', path: `/x/${i}`, headers: {}, body: undefined, at: `line ${i + 1}` } };
    }
    const feed = new ReplayFeed(entries, 'x.ndjson', 'parity', 1, 2, { include: [], exclude: [], allowWrites: false, dropHeaders: [], rewrites: [] });
    const offsets: number[] = [];
    for await (const item of feed.items(new AbortController().signal)) offsets.push(item.offsetMs);
    expect(feed.report).toMatchObject({ read: 6, scheduled: 12, outOfOrder: 2 });
    expect(describeReplay(feed.report)).toMatch(/out of order: 2 requests are recorded before a request read ahead of them/);
    expect(offsets.slice(0, 6)).toEqual([0, 10, 5, 20, 0, 30]);
  });
});
