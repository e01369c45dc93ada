import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { gorText, writeHar, writeReplayConfig, type Recorded } from '../helpers/replay.ts';

/**
 * Methods are case-sensitive (RFC 9110 §9.1). A browser's fetch() upper-cases only DELETE, GET,
 * HEAD, OPTIONS, POST and PUT, so `fetch(url, { method: 'patch' })` sends `patch`, which servers
 * answer apart from PATCH (405, 400, no route): a HAR export holds it so. Every reader upper-cased
 * the captured method, so the replay sent another request than the one captured (a PATCH that
 * wrote, where the captured `patch` was refused), silently. The raw servers read the method bytes.
 */
describe('parity replay of a method captured in lower case', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-method-case-'));
  const servers = useRawServers();
  const t0 = Date.parse('2026-11-30T10:00:00Z');
  const REQS: Recorded[] = [
    { t: t0, method: 'patch', path: '/api/items/1', headers: { 'content-type': 'application/json' }, body: '{"n":1}' },
    { t: t0 + 1, method: 'GET', path: '/api/items/1', headers: {} },
    { t: t0 + 2, method: 'post', path: '/api/items', headers: { 'content-type': 'application/json' }, body: '{"n":2}' },
  ];

  async function replay(name: string, file: string, ...flags: string[]): Promise<{ run: RunResult; methods: string[][] }> {
    const config = writeReplayConfig(dir, name, servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', ...flags], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    return { run, methods: servers.map((s) => s.seen.splice(0).map((q) => `${q.method} ${q.target.toString('latin1')}`).sort()) };
  }

  for (const [format, write] of [
    ['HAR', (f: string) => writeHar(f, REQS)],
    ['GoReplay', (f: string) => writeFileSync(f, gorText(REQS))],
  ] as const) {
    it(`${format}: goes out as captured, to both targets; a lower-case write is still a write`, async () => {
      const file = path.join(dir, `methods.${format === 'HAR' ? 'har' : 'gor'}`);
      write(file);
      const all = await replay(`${format}-all`, file, '--allow-writes');
      expect(all.run.replay).toMatchObject({ read: 3, scheduled: 3, bad: 0 });
      for (const side of all.methods) expect(side).toEqual(['GET /api/items/1', 'patch /api/items/1', 'post /api/items']);
      const reads = await replay(`${format}-reads`, file);
      expect(reads.run.replay).toMatchObject({ read: 3, scheduled: 1, skipped: { writes: 2 } });
      for (const side of reads.methods) expect(side).toEqual(['GET /api/items/1']);
    }, 60_000);
  }
});
