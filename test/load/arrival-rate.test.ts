import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { renderSummary } from '../../harness/reporters/terminal.ts';
import { runParity } from '../../harness/run/engine.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { loadConfig } from './helpers.ts';

const FAST = { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 2 } as const;
// Streams that outlast the whole schedule: every start after the first `maxInFlight` finds the bound reached.
const SLOW = { framing: 'named-events', tokens: 1, firstContentDelayMs: 2500 } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };

describe('arrival-rate models', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace();
  const run = async (i: 0 | 2, load: ConfigInput['load'], workers = 1) => {
    const [b, c] = [proc.fixtures[i]!, proc.fixtures[i + 1]!];
    return runParity(await resolveConfig(loadConfig({ baselineUrl: b.url, candidateUrl: c.url, promptsFile: ws.promptsFile, load }), ws.configFile), { outDir: ws.out, workers });
  };
  beforeAll(async () => {
    proc = await startFixtureProcess([FAST, FAST, SLOW, SLOW]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('5 s at 200/s starts 1,000 ± 2 % iterations per target, on schedule', async () => {
    const out = await run(0, { model: 'constant-arrival-rate', rate: 200, duration: '5s', timeouts });
    const { baseline, candidate } = out.result.summaries[0]!;
    for (const s of [baseline, candidate]) {
      expect(Math.abs(s.count - 1000)).toBeLessThanOrEqual(20);
      expect(s.outcomes.complete).toBe(s.count);
      expect(s.dropped).toBe(0);
    }
    // The starts were meant evenly over the 5 s and really spread over them (any lag is measured,
    // and the latencies of late starts still count from their intended time).
    const intended = out.pairs.map((p) => p.baseline.intendedAt!).sort((a, b) => a - b);
    expect(intended[intended.length - 1]! - intended[0]!).toBeCloseTo(4995, 1);
    const starts = out.pairs.map((p) => p.baseline.startedAt).sort((a, b) => a - b);
    // (The first sends wait for their connections to open: measured from the first intended start.)
    expect(starts[starts.length - 1]! - intended[0]!).toBeGreaterThan(4900);
    expect(out.result.harness?.dispatchLagMs?.count).toBe(1000);
  });

  it('counts every start refused by maxInFlight as dropped, exactly, and reports it', async () => {
    // 10/s for 2 s schedules 20 starts; 5 streams of 2.5 s hold the bound for the whole schedule.
    const out = await run(2, { model: 'constant-arrival-rate', rate: 10, duration: '2s', maxInFlight: 5, timeouts });
    const r = out.result;
    expect(r.load.dropped).toBe(15);
    expect(r.load.iterations).toBe(5);
    expect(r.summaries[0]!.baseline.dropped).toBe(15);
    expect(r.summaries[0]!.candidate.dropped).toBe(15);
    expect(r.summaries[0]!.baseline.count).toBe(5);
    // The dropped starts are the ones after the first five: iteration numbers follow the schedule.
    expect(out.pairs.map((p) => p.iteration).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    const onDisk = JSON.parse(readFileSync(out.runJson, 'utf8'));
    expect(onDisk.load.dropped).toBe(15);
    const text = renderSummary(r, { color: false });
    expect(text).toMatch(/dropped \(maxInFlight\)\s+15\s+15/);
    expect(text).toContain('15 dropped (maxInFlight reached)');
  });

  it('ramping stages start the integral of their ramp (±5 %), and warm-up stays out of the summaries', async () => {
    // 0 → 200/s over 1 s (100 starts, the warm-up), 200/s for 1 s (200), 200 → 0/s over 1 s (100).
    const stages = [
      { duration: '1s', target: 200 },
      { duration: '1s', target: 200 },
      { duration: '1s', target: 0 },
    ];
    const out = await run(0, { model: 'ramping-arrival-rate', startRate: 0, stages, warmup: '1s', timeouts });
    const r = out.result;
    const warm = readFileSync(path.join(out.dir, 'warmup.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PairedSample);
    expect(r.load.warmupIterations).toBe(100);
    expect(warm).toHaveLength(100);
    expect(r.summaries[0]!.baseline.count).toBe(300);
    expect(r.samples.pairs).toBe(300);
    expect(r.load.iterations).toBe(300);
    // Stage boundaries measured on the starts the model scheduled, from the schedule start (iteration 0,
    // in the warm-up). The sends follow them: a send is when the request was handed to its
    // connection, after any connect, so at 200/s with new connections opening its lag is the
    // connect's; the median stays small.
    const t0 = warm.find((p) => p.iteration === 0)!.baseline.intendedAt!;
    const starts = [...warm, ...out.pairs].map((p) => p.baseline.intendedAt! - t0);
    const within = (a: number, b: number) => starts.filter((t) => t >= a && t < b).length;
    expect(Math.abs(within(0, 1000) - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(within(1000, 2000) - 200)).toBeLessThanOrEqual(10);
    expect(Math.abs(within(2000, 3000) - 100)).toBeLessThanOrEqual(5);
    expect(r.summaries[0]!.baseline.dispatchLagMs!.p50).toBeLessThan(20);
    // Every summarized pair was meant to start after the warm-up.
    for (const p of out.pairs) expect(p.baseline.intendedAt! - t0).toBeGreaterThanOrEqual(1000 - 0.01);
    for (const p of warm) expect(p.baseline.intendedAt! - t0).toBeLessThan(1000);
  });

  it('keeps the schedule and the pairing across two worker threads, and merges their counts', async () => {
    const out = await run(0, { model: 'constant-arrival-rate', rate: 100, duration: '1500ms', timeouts }, 2);
    const r = out.result;
    expect(r.load.workers).toBe(2);
    expect(r.load.iterations).toBe(150);
    expect(r.samples.pairs).toBe(150);
    expect(r.summaries[0]!.baseline.count).toBe(150);
    expect(r.summaries[0]!.candidate.count).toBe(150);
    const its = out.pairs.map((p) => p.iteration).sort((a, b) => a - b);
    expect(its).toEqual(Array.from({ length: 150 }, (_, i) => i));
    for (const p of out.pairs) {
      expect(p.baseline.requestId).toBe(p.candidate.requestId);
      expect(p.baseline.intendedAt).toBe(p.candidate.intendedAt);
    }
    // Iteration i is meant for i × 10 ms after the start, whichever worker ran it.
    const t0 = out.pairs.find((p) => p.iteration === 0)!.baseline.intendedAt!;
    for (const p of out.pairs) expect(Math.abs(p.baseline.intendedAt! - t0 - p.iteration * 10)).toBeLessThan(0.01);
  });
});
