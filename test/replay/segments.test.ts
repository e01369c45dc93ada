import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { parityLines, type Recorded } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-segments-'));
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const runJsonOf = (stdout: string) => /run\.json: (.+)/.exec(stdout)![1]!.trim();
/** Recorded offsets (ms) of the capture's 21 requests: not a multiple of the segment count, so the segments' shares differ (11 and 10). */
const OFFSETS = Array.from({ length: 21 }, (_, i) => i * 25);

/**
 * `parity replay --segment K/N` then `parity merge`: N machines replay one capture as one would.
 * Targets: two servers that record each request id they receive.
 */
describe('parity replay --segment K/N and parity merge', () => {
  const seen: string[][] = [[], []];
  const servers: Server[] = [];
  let config: string;
  let capture: string;
  const T = Date.parse('2026-11-29T14:00:00.000Z');

  beforeAll(async () => {
    for (const k of [0, 1]) {
      const s = createServer((req, res) => {
        seen[k]!.push(String(req.headers['x-request-id']));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
    config = path.join(dir, 'seg.config.json');
    const target = (name: string, role: string, k: number) => ({ name, role, baseUrl: url(k), routes: { chat: 'POST /chat' } });
    writeFileSync(config, JSON.stringify({ name: 'seg', targets: [target('base', 'baseline', 0), target('cand', 'candidate', 1)], scenarios: [{ name: 'own', route: 'chat', prompts: path.join(dir, 'prompts.jsonl') }], load: { vus: 1, iterations: 1 }, outDir: path.join(dir, 'reports') }));
    const reqs: Recorded[] = OFFSETS.map((o, i) => ({ t: T + o, method: 'GET', path: `/api/items/${i % 3}`, headers: { accept: 'application/json' } }));
    capture = path.join(dir, 'capture.ndjson');
    writeFileSync(capture, parityLines(reqs));
  });
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('segments 1/2 and 2/2 replay each request once, on one shared schedule; the merged run is the whole replay', async () => {
    const startAt = new Date(Date.now() + 2500).toISOString();
    const seg = (k: number) => runCli(['replay', capture, '--config', config, '--quiet', '--segment', `${k}/2`, '--start-at', startAt, '--compare', 'all'], {});
    const [one, two] = await Promise.all([seg(1), seg(2)]);
    expect(one.code, one.stderr + one.stdout).toBe(0);
    expect(two.code, two.stderr + two.stdout).toBe(0);
    const runs = [one, two].map((r) => readJson<RunResult>(runJsonOf(r.stdout)));
    const runId = runs[0]!.runId;
    expect(runs[1]!.runId).toBe(runId);
    // Requests i with i mod 2 = K−1: 11 and 10 of the 21, each with the iteration number one machine gives it.
    expect(runs.map((r) => r.replay!.scheduled)).toEqual([11, 10]);
    expect(runs.map((r) => r.replay!.read)).toEqual([21, 21]);
    for (const [k, r] of runs.entries()) {
      const pairs = readFileSync(path.join(path.dirname(runJsonOf([one, two][k]!.stdout)), 'samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PairedSample);
      expect(pairs.map((p) => p.iteration).sort((a, b) => a - b)).toEqual(OFFSETS.map((_, i) => i).filter((i) => i % 2 === k));
      // The shared start signal: request i is meant for --start-at + its recorded offset, in both segments.
      for (const p of pairs) expect(Math.abs(p.baseline.intendedAt! - (Date.parse(startAt) + OFFSETS[p.iteration]!))).toBeLessThan(1);
      expect(r.segment).toMatchObject({ index: k + 1, count: 2 });
    }
    // Each target received every request id of the replay exactly once.
    const ids = OFFSETS.map((_, i) => `${runId}-${i}`).sort();
    for (const side of seen) expect(side.filter((id) => id.startsWith(`${runId}-`)).sort()).toEqual(ids);

    const merged = await runCli(['merge', path.join(dir, 'reports', runId)], {});
    expect(merged.code, merged.stderr + merged.stdout).toBe(0);
    const m = readJson<RunResult>(path.join(dir, 'reports', runId, 'run.json'));
    expect(m).toMatchObject({ complete: true, load: { model: 'replay' }, samples: { pairs: 21 }, replay: { read: 21, scheduled: 21, bad: 0 }, segments: { count: 2, missing: [] } });
    expect(m.replay!.pacing!.sent).toBe(21);
    // Per endpoint and the sampled contract diffs, merged across the segments as a single machine's would be.
    expect(m.endpoints?.map((e) => [e.route, e.baseline.count]).sort()).toEqual([
      ['GET /api/items/0', 7],
      ['GET /api/items/1', 7],
      ['GET /api/items/2', 7],
    ]);
    expect(m.contracts?.filter((c) => c.underLoad).reduce((a, c) => a + c.pairs, 0)).toBe(21);
  }, 60_000);

  it('a segment of another capture is refused by merge (exit 3), naming what differs', async () => {
    const other = path.join(dir, 'other.ndjson');
    writeFileSync(other, parityLines(OFFSETS.slice(0, 5).map((o) => ({ t: T + o, method: 'GET', path: '/api/other', headers: {} }))));
    const a = await runCli(['replay', capture, '--config', config, '--quiet', '--speed', 'max', '--segment', '1/2', '--run-id', 'mix', '--out', path.join(dir, 'mix-a')], {});
    const b = await runCli(['replay', other, '--config', config, '--quiet', '--speed', 'max', '--segment', '2/2', '--run-id', 'mix', '--out', path.join(dir, 'mix-b')], {});
    expect([a.code, b.code]).toEqual([0, 0]);
    const r = await runCli(['merge', path.dirname(runJsonOf(a.stdout)), path.dirname(runJsonOf(b.stdout)), '--out', path.join(dir, 'mix-merged')], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not a segment of the same replay .*the capture or replay flags differ/);
  }, 60_000);
});
