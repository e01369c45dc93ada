import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * A config's shadow body rewrite (`{ body: /session_id, prefix: shadow- }`) keeps replayed ids out
 * of real stores. A body that is not JSON, or has no such field, is sent as captured (as shadow
 * sends such copies), but shadow counts them (rewriteMissed) and a replay said nothing: with
 * --allow-writes, real ids went into both targets unseen. They are now counted and printed.
 */
describe("parity replay with the config's shadow body rewrite", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-rewrite-'));
  const servers = useRawServers();

  it('rewrites the JSON bodies that have the field, and counts (and prints) those sent without it', async () => {
    const base = JSON.parse(readFileSync(writeReplayConfig(dir, 'rewrite', servers[0]!.url, servers[1]!.url), 'utf8')) as Record<string, unknown>;
    const config = path.join(dir, 'with-rewrite.config.json');
    writeFileSync(config, JSON.stringify({ ...base, shadow: { rewrite: [{ body: '/session_id', prefix: 'shadow-' }] } }));
    const t = Date.parse('2026-11-30T10:00:00Z');
    const rec = (i: number, method: string, body?: string, type = 'application/json') => JSON.stringify({ t: t + i, requestId: `r${i}`, method, path: `/api/${i}`, headers: { 'content-type': type }, ...(body !== undefined ? { body } : {}) });
    const file = path.join(dir, 'capture.ndjson');
    writeFileSync(file, [rec(0, 'POST', '{"session_id":"s-1"}'), rec(1, 'POST', '{"other":1}'), rec(2, 'POST', 'session_id=s-2', 'application/x-www-form-urlencoded'), rec(3, 'GET')].join('\n') + '\n');
    const r = await runCli(['replay', file, '--config', config, '--speed', 'max', '--allow-writes'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.replay).toMatchObject({ scheduled: 4, bad: 0, rewriteMissed: 2 });
    expect(r.stdout).toMatch(/shadow rewrite: 2 requests sent without the config's shadow body rewrite/);
    for (const s of servers) {
      const body = (p: string) => s.seen.find((q) => q.target.toString() === p)!.body.toString();
      expect([body('/api/0'), body('/api/1'), body('/api/2')]).toEqual(['{"session_id":"shadow-s-1"}', '{"other":1}', 'session_id=s-2']);
    }
    const summary = readFileSync(path.join(path.dirname(/run\.json: (.+)/.exec(r.stdout)![1]!.trim()), 'summary.md'), 'utf8');
    expect(summary).toMatch(/2 requests sent without the config's shadow body rewrite/);
  }, 60_000);
});
