import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeLoadContracts } from '../../harness/run/endpoints.ts';
import { runCli } from '../helpers/cli.ts';
import { loadStep } from '../helpers/contracts.ts';
import { parityLines } from '../helpers/replay.ts';

/**
 * `share` (the part of a step's pairs diffed, `compare` below "all") makes a `contract_drift` pass
 * say it covers only a sample. Merging shards (worker threads, `parity merge` of segments) kept the
 * first shard's summary as the base, so a first shard without `share` and a later one with it gave
 * a merged step without it: the counts include a sample, and the gate's reason read as "no drift".
 * The merged step carries the smallest share of any shard (a shard without one diffed all).
 */
const step = loadStep;

describe('share of the pairs diffed, merged across shards', () => {
  it('is kept whichever shard comes first, and the smallest wins', () => {
    expect(mergeLoadContracts([[step({})], [step({ share: 0.05 })]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.05 })], [step({})]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.5 })], [step({ share: 0.05 })]])[0]!.share).toBe(0.05);
    expect(mergeLoadContracts([[step({ share: 0.05 })], [step({ share: 0.5 })]])[0]!.share).toBe(0.05);
  });

  it('every shard diffing all leaves no share', () => {
    expect(mergeLoadContracts([[step({})], [step({})]])[0]!.share).toBeUndefined();
  });
});

/**
 * Was reachable: `parity replay --compare` is a flag, not config, and merge checked replay segments'
 * capture and flags without it, so segments of one replay could diff different shares. Merge now
 * refuses them (run.json replay.options; test/redteam/merge-replay-options.test.ts): one replay's
 * contract drift is never judged on two different samplings.
 */
describe('parity merge of replay segments that diffed different shares', () => {
  it('is refused (exit 3), naming --compare', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-merge-share-'));
    const servers = [0, 1].map(() => createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":7}'))));
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
      const config = path.join(dir, 'c.json');
      const target = (name: string, role: string, k: number) => ({ name, role, baseUrl: url(k), routes: { item: 'GET /api/items/7' } });
      writeFileSync(config, JSON.stringify({ targets: [target('base', 'baseline', 0), target('cand', 'candidate', 1)], preflight: { retries: 0, interval: 10 }, outDir: path.join(dir, 'reports') }));
      const capture = path.join(dir, 'capture.ndjson');
      const T = Date.now();
      writeFileSync(capture, parityLines(Array.from({ length: 80 }, (_, i) => ({ t: T + i, method: 'GET', path: '/api/items/7', headers: { accept: 'application/json' } }))));
      const seg = (k: number, compare: string) => runCli(['replay', capture, '--config', config, '--quiet', '--speed', 'max', '--segment', `${k}/2`, '--run-id', 'mixed-share', '--compare', compare], {});
      for (const [k, compare] of [[1, 'all'], [2, '50%']] as const) {
        const r = await seg(k, compare);
        expect(r.code, r.stderr + r.stdout).toBe(0);
      }
      const merged = await runCli(['merge', path.join(dir, 'reports', 'mixed-share')], {});
      expect(merged.code, merged.stderr + merged.stdout).toBe(3);
      expect(merged.stderr).toMatch(/PARITY_SEGMENT_MISMATCH[\s\S]*--compare differs \(0\.5 there, 1 here\)/);
      expect(existsSync(path.join(dir, 'reports', 'mixed-share', 'run.json'))).toBe(false);
    } finally {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    }
  }, 30_000);
});
