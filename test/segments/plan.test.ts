import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, streamScenarios } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { constantCount } from '../../harness/load/context.ts';
import { planIteration } from '../../harness/load/plan.ts';
import { rampSchedule } from '../../harness/load/ramping-arrival-rate.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { readPairsSync } from '../../harness/run/pairs.ts';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import type { ServedStream } from '../../fixtures/backends/chat-backend.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { PROMPTS, runSegments, segmentConfig, writeConfig } from './helpers.ts';

// 4 segments as 4 processes with one --start-at: together they send the single-machine plan.
const FAST = { framing: 'named-events', tokens: 2, firstContentDelayMs: 5, interEventGapMs: 2 } as const;
const SLOWER = { framing: 'named-events', tokens: 2, firstContentDelayMs: 60, interEventGapMs: 5 } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };
const N = 4;

interface Segmented {
  runId: string;
  startAtMs: number;
  runs: RunResult[];
  /** Per segment (index 0..N-1), its pairs. */
  pairs: PairedSample[][];
  /** The pairs of the run `parity merge` made of them. */
  merged: PairedSample[];
}

function readSegments(out: string, startAtMs: number): Segmented {
  const [runId] = readdirSync(out);
  const dirs = Array.from({ length: N }, (_, k) => path.join(out, runId!, 'segments', `${k + 1}-of-${N}`));
  const runs = dirs.map((d) => RunResult.parse(JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8'))));
  const pairs = dirs.map((d) =>
    readFileSync(path.join(d, 'samples.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as PairedSample),
  );
  const merged = readPairsSync(path.join(out, runId!, 'samples.ndjson'));
  return { runId: runId!, startAtMs, runs, pairs, merged };
}

describe('execution segments: 4 processes, one --start-at', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace(PROMPTS);
  beforeAll(async () => {
    proc = await startFixtureProcess([FAST, FAST, FAST, FAST, SLOWER, SLOWER]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  const run = async (name: string, fixtures: [number, number], load: ConfigInput['load']) => {
    const [b, c] = [proc.fixtures[fixtures[0]]!, proc.fixtures[fixtures[1]]!];
    const cfg = segmentConfig({ baselineUrl: b.url, candidateUrl: c.url, promptsFile: ws.promptsFile, load });
    const file = writeConfig(path.join(ws.dir, `${name}.json`), cfg);
    const out = path.join(ws.dir, name);
    const { startAtMs, results } = await runSegments(file, out, N);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const [runId] = readdirSync(out);
    const m = await runCli(['merge', ...Array.from({ length: N }, (_, k) => path.join(out, runId!, 'segments', `${k + 1}-of-${N}`))]);
    const seg = readSegments(out, startAtMs);
    // Merged (every segment there and complete: exit 0), the run holds exactly the segments' pairs.
    expect(m.code, m.stderr).toBe(0);
    expect(seg.merged.map((p) => p.requestId).sort()).toEqual(seg.pairs.flat().map((p) => p.requestId).sort());
    for (const [k, r] of seg.runs.entries()) {
      expect(r.complete).toBe(true);
      expect(r.runId).toBe(seg.runId);
      expect(r.segment).toMatchObject({ index: k + 1, count: N, source: '--segment', startAt: new Date(startAtMs).toISOString() });
      // Every process was up before the signal: none started late (a late one records its lag here).
      expect(r.segment!.startOffsetMs, `segment ${k + 1} started late`).toBeLessThan(50);
      expect(r.harness?.eventLoopDelayMs).not.toBeNull();
    }
    const loaded = await resolveConfig(cfg, file);
    const served = [await b.served(), await c.served()].map((log) => new Map(log.filter((s) => s.requestId.startsWith(seg.runId)).map((s) => [s.requestId, s])));
    return { seg, loaded, served };
  };

  /** Every pair is the plan's iteration: id, scenario, prompt; and both backends got its body with the plan's prompt and session id. */
  const expectPlanned = (pairs: PairedSample[], loaded: Awaited<ReturnType<typeof resolveConfig>>, runId: string, served: Map<string, ServedStream>[]) => {
    for (const p of pairs) {
      const plan = planIteration(streamScenarios(loaded), p.iteration, runId);
      expect([p.requestId, p.scenario, p.baseline.promptIndex, p.candidate.promptIndex]).toEqual([plan.requestId, plan.scenario.name, plan.promptIndex, plan.promptIndex]);
      for (const log of served) expect(log.get(p.requestId)?.body).toEqual({ message: plan.prompt.text, session_id: plan.sessionId });
    }
    for (const log of served) expect(log.size).toBe(pairs.length);
  };

  /**
   * The combined start rate per second against the plan's. The segments together schedule exactly
   * the plan's starts in every second (intended times, exact). The requests left within ±2 % of that
   * per second whenever the harness kept its dispatch lag under its 20 ms limit (a late start can
   * only move into the next second, and at 100/s fewer than 2 starts fit in 20 ms). On a machine
   * too busy for that (two shared cores, other test runs), the segments say so: each late one
   * carries a harness warning, which makes any verdict on the merged run inconclusive.
   */
  const expectRate = (seg: Segmented, at: (i: number) => number, count: number) => {
    const perSecond = (times: number[]) => times.reduce((m, t) => m.set(Math.floor(t / 1000), (m.get(Math.floor(t / 1000)) ?? 0) + 1), new Map<number, number>());
    const planned = perSecond(Array.from({ length: count }, (_, i) => at(i)));
    const all = seg.merged;
    expect(perSecond(all.map((p) => p.baseline.intendedAt! - seg.startAtMs))).toEqual(planned);
    const sent = perSecond(all.map((p) => Math.min(p.baseline.startedAt, p.candidate.startedAt) - seg.startAtMs));
    for (const [k, r] of seg.runs.entries()) {
      const lagP99 = r.harness!.dispatchLagMs!.p99;
      if (lagP99 > 20) expect(r.harness!.warnings.join('\n'), `segment ${k + 1}: lag p99 ${lagP99} ms`).toMatch(/dispatch lag p99/);
    }
    if (seg.runs.every((r) => r.harness!.dispatchLagMs!.p99 <= 20)) {
      for (const [sec, n] of planned) expect(Math.abs((sent.get(sec) ?? 0) - n), `second ${sec}: planned ${n}, sent ${sent.get(sec) ?? 0}`).toBeLessThanOrEqual(n * 0.02);
    }
  };

  it('constant arrival rate: the segments send exactly the single-machine plan, at its rate', async () => {
    const load = { model: 'constant-arrival-rate', rate: 100, duration: '2s', timeouts } as const;
    const { seg, loaded, served } = await run('constant', [0, 1], load);
    const count = constantCount(100, 1000, 2000);
    const all = seg.merged;
    expect(all.map((p) => p.iteration).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const [k, pairs] of seg.pairs.entries()) for (const p of pairs) expect(p.iteration % N).toBe(k);
    // Intended starts are the plan's: iteration i at start-at + i·10 ms, whichever machine sent it
    // (to the half millisecond: each process reads the wall clock once to place the signal).
    for (const p of all) expect(p.baseline.intendedAt! - seg.startAtMs).toBeCloseTo(p.iteration * 10, 0);
    expect(seg.runs.reduce((a, r) => a + r.load.plannedIterations!, 0)).toBe(count);
    expectPlanned(all, loaded, seg.runId, served);
    expectRate(seg, (i) => i * 10, count);
  });

  it('ramping arrival rate: the same plan and per-second rates as one machine', async () => {
    const load: ConfigInput['load'] = { model: 'ramping-arrival-rate', startRate: 50, stages: [{ duration: '1s', target: 150 }, { duration: '1s', target: 150 }], timeouts };
    const { seg, loaded, served } = await run('ramping', [2, 3], load);
    const schedule = rampSchedule(50 / 1000, [{ duration: 1000, target: 150 / 1000 }, { duration: 1000, target: 150 / 1000 }]);
    const all = seg.merged;
    expect(all.map((p) => p.iteration).sort((a, b) => a - b)).toEqual(Array.from({ length: schedule.count }, (_, i) => i));
    for (const p of all.sort((a, b) => a.iteration - b.iteration)) expect(p.baseline.intendedAt! - seg.startAtMs).toBeCloseTo(schedule.at(p.iteration), 0);
    expectPlanned(all, loaded, seg.runId, served);
    expectRate(seg, (i) => schedule.at(i), schedule.count);
  });

  it('closed model with stages: each segment runs its VUs and numbers its stripe of the plan', async () => {
    const load: ConfigInput['load'] = { model: 'closed', stages: [{ duration: '1s', target: 8 }, { duration: '1s', target: 8 }], timeouts };
    const { seg, loaded, served } = await run('closed', [4, 5], load);
    const all = seg.merged;
    // The VUs of the plan (1..8 at the peak), each on one segment only: VU v on segment (v−1) mod N.
    expect([...new Set(all.map((p) => p.baseline.vu))].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [k, pairs] of seg.pairs.entries()) {
      for (const p of pairs) expect((p.baseline.vu - 1) % N).toBe(k);
      // Segment k numbers iterations k, k+N, k+2N, ... with no gap and no number another segment uses.
      const ids = pairs.map((p) => p.iteration).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, j) => k + N * j));
      expect(ids.length).toBeGreaterThan(1);
    }
    expectPlanned(all, loaded, seg.runId, served);
  });
});
