import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { parityLines } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-compare-'));
const readRun = (stdout: string): RunResult => JSON.parse(readFileSync(/run\.json: (.+)/.exec(stdout)![1]!.trim(), 'utf8')) as RunResult;

/**
 * `--compare` on SSE pairs: the contract engine diffs each sampled stream pair's status and
 * streamed content (as `/content`), under the config's rules. Fixtures: the baseline streams 3
 * tokens; one candidate the same 3, another 4 (its content differs by one token).
 */
describe('parity replay --compare on stream pairs', () => {
  let fx: FixtureProcess;
  let capture: string;
  beforeAll(async () => {
    fx = await startFixtureProcess([{ framing: 'named-events', tokens: 3, interEventGapMs: 1 }, { framing: 'named-events', tokens: 3, interEventGapMs: 1 }, { framing: 'named-events', tokens: 4, interEventGapMs: 1 }]);
    capture = path.join(dir, 'streams.ndjson');
    const T = Date.now();
    writeFileSync(capture, parityLines(Array.from({ length: 12 }, (_, i) => ({ t: T + i, method: 'POST', path: '/chat-stream', headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify({ q: i }) }))));
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
  }, 30_000);
  afterAll(async () => fx?.close());

  function config(name: string, candidate: number, rules?: object): string {
    const file = path.join(dir, `${name}.config.json`);
    const target = (n: string, role: string, k: number) => ({ name: n, role, baseUrl: fx.fixtures[k]!.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' });
    writeFileSync(
      file,
      JSON.stringify({
        name,
        targets: [target('base', 'baseline', 0), target('cand', 'candidate', candidate)],
        scenarios: [{ name: 'own', route: 'chat', prompts: path.join(dir, 'prompts.jsonl') }],
        load: { vus: 1, iterations: 1 },
        // The rules alone: a contracts section needs no flows.
        ...(rules ? { contracts: { rules } } : {}),
        outDir: path.join(dir, 'reports'),
      }),
    );
    return file;
  }

  const replay = (cfg: string) => runCli(['replay', capture, '--config', cfg, '--quiet', '--allow-writes', '--speed', 'max', '--compare', 'all'], {});

  it('a candidate whose streamed content differs drifts at /content on every compared pair; an identical one does not', async () => {
    const bad = await replay(config('stream-drift', 2));
    expect(bad.code, bad.stderr + bad.stdout).toBe(0);
    const run = readRun(bad.stdout);
    // Both sides were read as streams (the stream probe), and completed.
    expect(run.summaries[0]!.candidate.outcomes.complete).toBe(12);
    const step = run.contracts?.find((c) => c.step === 'POST /chat-stream');
    expect(step).toMatchObject({ underLoad: true, pairs: 12, drifted: 12 });
    expect(step!.drift.map((d) => d.pointer)).toEqual(['/content']);
    const d = step!.drift[0]!;
    expect(typeof d.example?.baseline === 'string' && typeof d.example?.candidate === 'string' && (d.example.candidate as string).startsWith(d.example.baseline as string)).toBe(true);
    // The samples do not carry the text (it is the diff's only).
    const samples = readFileSync(path.join(path.dirname(/run\.json: (.+)/.exec(bad.stdout)![1]!.trim()), 'samples.ndjson'), 'utf8');
    expect(samples).not.toMatch(/"text":/);

    const same = await replay(config('stream-same', 1));
    expect(same.code, same.stderr + same.stdout).toBe(0);
    expect(readRun(same.stdout).contracts?.find((c) => c.step === 'POST /chat-stream')).toMatchObject({ pairs: 12, drifted: 0, drift: [] });
  }, 60_000);

  it("the config's rules apply: /content ignored compares the status only", async () => {
    const r = await replay(config('stream-ignored', 2, { ignore: ['/content'] }));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readRun(r.stdout).contracts?.find((c) => c.step === 'POST /chat-stream')).toMatchObject({ pairs: 12, drifted: 0 });
  }, 60_000);
});
