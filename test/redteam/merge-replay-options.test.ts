import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { parityLines, type Recorded } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-merge-replay-options-'));
const runDirOf = (stdout: string) => path.dirname(/run\.json: (.+)/.exec(stdout)![1]!.trim());
const T = Date.parse('2026-11-29T14:00:00.000Z');

/**
 * `parity merge` of replay segments checked the capture's counts and --speed/--loop/--format/
 * --max-corrupt, nothing else: a segment replayed with another --rewrite (other paths sent),
 * --drop-header (the candidate saw other headers), --stream (answers read another way),
 * --compare (another share of pairs diffed: contract drift judged on half the traffic) or --include
 * (other requests, same counts), or of another capture with the same counts, merged into one run and
 * was judged as one. Each is refused (exit 3, PARITY_SEGMENT_MISMATCH) naming the flag and both
 * segment folders; the same flags still merge.
 */
describe('parity merge: replay segments run with different flags', () => {
  const servers: Server[] = [];
  let config: string;
  let otherConfig: string;
  let capture: string;
  let sameCounts: string;
  let ref: string;

  const BASE: Record<string, string[]> = {
    '--speed': ['max'],
    '--rewrite': ['/api/=/api/'],
    '--drop-header': ['cookie'],
    '--stream': ['/sse*'],
    '--compare': ['all'],
    '--max-in-flight': ['50'],
    '--include': ['/api/*'],
  };
  const args = (flags: Record<string, string[]>) => Object.entries(flags).flatMap(([f, vs]) => vs.flatMap((v) => [f, v]));
  const segment = async (k: number, out: string, flags: Record<string, string[]>, opts: { capture?: string; config?: string } = {}) => {
    const r = await runCli(['replay', opts.capture ?? capture, '--config', opts.config ?? config, '--quiet', '--segment', `${k}/2`, '--run-id', 'opts', '--out', path.join(dir, out), ...args(flags)], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return runDirOf(r.stdout);
  };
  const merge = (a: string, b: string, out: string) => runCli(['merge', a, b, '--out', path.join(dir, out)], {});

  beforeAll(async () => {
    for (let k = 0; k < 2; k++) {
      const s = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
    const cfg = (timeout: string) => {
      const target = (name: string, role: string, k: number) => ({ name, role, baseUrl: url(k), routes: { chat: 'POST /chat' } });
      return JSON.stringify({ name: 'opts', targets: [target('base', 'baseline', 0), target('cand', 'candidate', 1)], scenarios: [{ name: 'own', route: 'chat', prompts: path.join(dir, 'prompts.jsonl') }], load: { vus: 1, iterations: 1, timeouts: { total: timeout } } });
    };
    config = path.join(dir, 'a.config.json');
    writeFileSync(config, cfg('20s'));
    otherConfig = path.join(dir, 'b.config.json');
    writeFileSync(otherConfig, cfg('30s'));
    const reqs = (p: string): Recorded[] => Array.from({ length: 8 }, (_, i) => ({ t: T + i * 10, method: 'GET', path: `${p}/${i % 2}`, headers: { accept: 'application/json', cookie: 'session=1' } }));
    capture = path.join(dir, 'capture.ndjson');
    writeFileSync(capture, parityLines(reqs('/api/items')));
    // Same number of entries, none bad or left out: the counts alone cannot tell them apart.
    sameCounts = path.join(dir, 'same-counts.ndjson');
    writeFileSync(sameCounts, parityLines(reqs('/api/users')));
    ref = await segment(1, 'ref', BASE);
  }, 60_000);
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('the same capture and flags merge into one complete run, which records the flags', async () => {
    const two = await segment(2, 'same', BASE);
    const r = await merge(ref, two, 'same-merged');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const m = JSON.parse(readFileSync(path.join(dir, 'same-merged', 'run.json'), 'utf8')) as RunResult;
    expect(m).toMatchObject({ complete: true, samples: { pairs: 8 }, replay: { options: { rewrite: ['/api/=/api/'], dropHeader: ['cookie'], compare: 1, maxInFlight: 50 } } });
    expect(m.replay!.options!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 60_000);

  const cases: [string, Record<string, string[]>, RegExp][] = [
    ['--rewrite', { ...BASE, '--rewrite': ['/api/=/v2/api/'] }, /--rewrite differs/],
    ['--drop-header', { ...BASE, '--drop-header': [] }, /--drop-header differs/],
    ['--stream', { ...BASE, '--stream': ['/api/*'] }, /--stream differs/],
    ['--compare', { ...BASE, '--compare': ['none'] }, /--compare differs/],
    ['--max-in-flight', { ...BASE, '--max-in-flight': ['5'] }, /--max-in-flight differs/],
    ['--include', { ...BASE, '--include': ['GET'] }, /--include differs/],
  ];
  for (const [flag, flags, message] of cases) {
    it(`a segment replayed with another ${flag} is refused, naming it and both segment folders`, async () => {
      const two = await segment(2, flag.slice(2), flags);
      const r = await merge(ref, two, `${flag.slice(2)}-merged`);
      expect(r.code, r.stderr + r.stdout).toBe(3);
      expect(r.stderr).toContain('PARITY_SEGMENT_MISMATCH');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(ref);
      expect(r.stderr).toContain(two);
    }, 60_000);
  }

  it('a segment of another capture with the same counts is refused (the capture digest differs)', async () => {
    const two = await segment(2, 'capture', BASE, { capture: sameCounts });
    const r = await merge(ref, two, 'capture-merged');
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stderr).toMatch(/the capture file \(sha256\) differs/);
  }, 60_000);

  it('a replay segment killed before its end makes the merge incomplete (exit 2), not a flag mismatch (exit 3)', async () => {
    // Killed outright: its run.json is the one written as it started (the capture not read yet, "running"), its spool kept.
    const one = await segment(1, 'killed-1', BASE);
    const two = await segment(2, 'killed-2', BASE);
    const runJson = path.join(one, 'run.json');
    const run = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    const replay = { ...run.replay!, read: 0, scheduled: 0, skipped: { writes: 0, filtered: 0, window: 0 }, bad: 0, unsendable: 0, badEntries: [] };
    delete replay.pacing;
    writeFileSync(runJson, JSON.stringify({ ...run, endedAt: null, complete: false, incompleteReason: 'running', replay }));
    rmSync(path.join(one, 'segment-state.json'));
    const r = await merge(one, two, 'killed-merged');
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stdout).toMatch(/segment 1\/2 incomplete \(running\)/);
    const m = JSON.parse(readFileSync(path.join(dir, 'killed-merged', 'run.json'), 'utf8')) as RunResult;
    // The capture's counts are those of a segment that read it whole.
    expect(m.replay).toMatchObject({ read: 8, bad: 0 });
  }, 60_000);

  it('a segment replayed with another config is refused (already so: the config echo)', async () => {
    const two = await segment(2, 'config', BASE, { config: otherConfig });
    const r = await merge(ref, two, 'config-merged');
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stderr).toMatch(/config differs at load\.timeouts\.total/);
  }, 60_000);
});
