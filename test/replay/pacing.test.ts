import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { recordChatHar } from '../helpers/replay.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exec = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'parity-pacing-'));
/** Recorded offsets (ms): irregular, with close pairs (5 ms, 15 ms) and longer gaps. */
const PLAN = [0, 60, 75, 190, 330, 345, 470, 640, 655, 800, 830, 900, 1010, 1015, 1150, 1300];
const TOLERANCE_MS = 5;
/**
 * The allowance: on each target, one request of the 16 may be off by up to twice the tolerance.
 * On this VM, even idle (load average 0.1-0.4, 15 runs), about half the runs had one request
 * 5-7.5 ms off, never two: the harness woke that late although it was waiting by turns of the
 * event loop from 1.5 ms before the due time (a 5 ms window did no better, and --trace-gc showed no
 * collection then), so it is the process being held up, not the scheduler's timers.
 */
const ALLOWED_OUTLIERS = 1;
/**
 * Attempts per speed. A run is accepted when every request on both targets arrived within ±5 ms
 * of its recorded offset (but the allowance); or when the harness reported its own late sends (the pacing warning that
 * keeps a verdict from passing) on a machine that was oversubscribed (1-minute load average at or
 * above the number of cores: other test runs on this shared 2-core machine keep the harness, or the
 * fixture process, off a core for 5-20 ms at a time). On a machine that is not oversubscribed only
 * precision is accepted, so a systematic lateness (start-up in the first requests, a timer's coarse
 * wake-up) fails even though the harness would report it. A retry covers the fixture process
 * stamping late while the harness sent on time (which the harness cannot see).
 */
const ATTEMPTS = 3;
const oversubscribed = () => loadavg()[0]! >= availableParallelism();

/**
 * `parity replay` of a HAR recorded from the chat fixtures, run as a user runs it: a fresh
 * process (bin/parity.mjs), its start-up included. Inter-arrival times are measured with the
 * fixtures' own arrival stamps.
 */
describe('parity replay keeps the recorded inter-arrival times (fresh process, server-side stamps)', () => {
  let fx: FixtureProcess;
  let har: string;
  let config: string;
  let recorded: number[];

  beforeAll(async () => {
    fx = await startFixtureProcess([{ framing: 'named-events', tokens: 3, interEventGapMs: 1 }, { framing: 'named-events', tokens: 3, interEventGapMs: 1 }]);
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
    config = path.join(dir, 'pacing.config.json');
    const target = (name: string, role: string, url: string) => ({ name, role, baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' });
    writeFileSync(
      config,
      JSON.stringify({
        name: 'pacing',
        targets: [target('base', 'baseline', fx.fixtures[0]!.url), target('cand', 'candidate', fx.fixtures[1]!.url)],
        scenarios: [{ name: 'own', route: 'chat', prompts: path.join(dir, 'prompts.jsonl') }],
        load: { vus: 1, iterations: 1, timeouts: { firstEvent: '2s', idle: '1s', total: '10s' } },
        outDir: path.join(dir, 'reports'),
      }),
    );
    // The capture: real requests to the baseline fixture at irregular moments, written down as devtools would.
    har = path.join(dir, 'recorded.har');
    recorded = await recordChatHar(har, fx.fixtures[0]!.url, PLAN);
  }, 30_000);
  afterAll(async () => fx?.close());

  /** One replay in a fresh process: its run.json and each fixture's arrival stamp of request i (ms after request 0's). */
  async function replay(runId: string, speed: string): Promise<{ run: RunResult; stdout: string; arrivals: number[][] }> {
    const { stdout } = await exec(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'replay', har, '--config', config, '--allow-writes', '--quiet', '--run-id', runId, '--speed', speed], { cwd: ROOT });
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(stdout)![1]!.trim(), 'utf8')) as RunResult;
    const arrivals: number[][] = [];
    for (const f of fx.fixtures) {
      // Request i's arrival, by its request id (close requests may arrive out of order).
      const byId = new Map((await f.served()).map((s) => [s.requestId, s.receivedAt]));
      const at = PLAN.map((_, i) => byId.get(`${runId}-${i}`)).filter((t) => t !== undefined);
      arrivals.push(at.map((t) => t - at[0]!));
    }
    return { run, stdout, arrivals };
  }

  /** Each arrival against its recorded offset / speed, less the common shift (the median: no single request is the reference). */
  function deviations(got: number[], speed: number): number[] {
    const raw = got.map((g, i) => g - recorded[i]! / speed);
    const shift = [...raw].sort((a, b) => a - b)[raw.length >> 1]!;
    return raw.map((d) => Math.round((d - shift) * 10) / 10);
  }

  /** Every request on both targets within ±5 ms of its recorded offset / speed, but ALLOWED_OUTLIERS (see ATTEMPTS for what else is accepted). */
  async function expectPaced(speed: number): Promise<void> {
    const seen: string[] = [];
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const runId = `pace${speed}x${attempt}`;
      const { run, stdout, arrivals } = await replay(runId, `${speed}x`);
      expect(run).toMatchObject({ complete: true, samples: { pairs: PLAN.length }, replay: { scheduled: PLAN.length, pacing: { toleranceMs: TOLERANCE_MS, sent: PLAN.length } } });
      for (const got of arrivals) expect(got).toHaveLength(PLAN.length);
      const devs = arrivals.map((got) => deviations(got, speed));
      const precise = devs.every((d) => d.filter((x) => Math.abs(x) > TOLERANCE_MS).length <= ALLOWED_OUTLIERS && d.every((x) => Math.abs(x) <= 2 * TOLERANCE_MS));
      const pacing = run.replay!.pacing!;
      // The harness's count of late sends is its samples' dispatch lags (the later side of each pair) over the tolerance.
      const pairs = readFileSync(path.join(path.dirname(/run\.json: (.+)/.exec(stdout)![1]!.trim()), 'samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PairedSample);
      expect(pacing.late).toBe(pairs.filter((p) => Math.max(p.baseline.dispatchLagMs!, p.candidate.dispatchLagMs!) > TOLERANCE_MS).length);
      seen.push(`attempt ${attempt}: deviations (ms) ${JSON.stringify(devs)}; harness: ${JSON.stringify(pacing)} ${JSON.stringify(run.harness?.warnings)}; load average ${loadavg()[0]!.toFixed(1)}`);
      if (precise) return;
      if (pacing.late > 0) {
        // Off by more than the tolerance, and the harness saw its own late sends and said so.
        expect(run.harness?.warnings.some((w) => /replay pacing: \d+ of 16 requests .* sent more than 5 ms after their recorded offsets/.test(w)), seen.join('\n')).toBe(true);
        expect(stdout).toMatch(new RegExp(`pacing: ${pacing.sent - pacing.late} of 16 requests sent within 5 ms`));
        if (oversubscribed()) return;
      }
    }
    expect.fail(`no attempt kept every recorded offset (but ${ALLOWED_OUTLIERS} per target, within ±${2 * TOLERANCE_MS} ms) within ±${TOLERANCE_MS} ms (accepted otherwise only on an oversubscribed machine, with the harness's own warning):\n${seen.join('\n')}`);
  }

  it('1x: each request reaches both targets at its recorded offset, within ±5 ms', async () => {
    await expectPaced(1);
  }, 90_000);

  it('--speed 2x: the same requests, twice as dense, within ±5 ms', async () => {
    await expectPaced(2);
  }, 90_000);
});
