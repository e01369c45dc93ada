import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * A replay's config has its `contracts` section for `--compare` (its rules and compared headers),
 * and often its flows too (scenarios/contracts/lots.config.yaml). The flows ran before the replay:
 * requests never captured, writes among them without --allow-writes, and their steps in the
 * verdict. A replay now sends the capture's requests and nothing else.
 */
describe("parity replay with a config that has contract flows", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-flows-'));
  const servers = useRawServers();

  it('sends only the captured requests: the flows are not run, their steps are not in run.json', async () => {
    const base = JSON.parse(readFileSync(writeReplayConfig(dir, 'flows', servers[0]!.url, servers[1]!.url), 'utf8')) as Record<string, unknown>;
    const config = path.join(dir, 'with-flows.config.json');
    writeFileSync(config, JSON.stringify({ ...base, contracts: { headers: ['content-type'], flows: [{ name: 'writes', steps: [{ name: 'create', route: 'POST /api/lots', body: { sku: 'x' }, expect: { status: 201 } }] }] } }));
    const t = Date.parse('2026-11-30T10:00:00Z');
    const file = path.join(dir, 'capture.ndjson');
    writeFileSync(file, [0, 1].map((i) => JSON.stringify({ t: t + i, requestId: `r${i}`, method: 'GET', path: `/api/items/${i}`, headers: {} })).join('\n') + '\n');
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--compare', 'all'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.replay).toMatchObject({ read: 2, scheduled: 2, bad: 0 });
    for (const s of servers) expect(s.seen.map((q) => `${q.method} ${q.target.toString()}`).sort()).toEqual(['GET /api/items/0', 'GET /api/items/1']);
    expect((run.contracts ?? []).map((c) => c.scenario)).not.toContain('writes');
  }, 60_000);
});
