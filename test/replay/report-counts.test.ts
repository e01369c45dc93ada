import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
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
