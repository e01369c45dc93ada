import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { quantile } from 'simple-statistics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedStream } from '../../fixtures/backends/chat-backend.ts';
import type { SweepResult } from '../../harness/sweep/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * Two fixtures that differ only in how many streams they serve at once (6 vs 3): with ~300 ms
 * streams the baseline saturates near 20 pairs/s and the candidate near 10. Each step's truth is
 * read from the servers' own stamps (how long a stream held its slot): on a busy machine the
 * fixture's timers fire late, streams last ~360 ms, and the capacities are nearer 16.5 and 8.3.
 * The rates 5, 14, 23, 32 keep every step clear of both capacity ranges, so each target's status
 * at each step is known whatever the machine's speed: both pass 5, the candidate fails 14, both
 * fail 23 (15-40% past the baseline's capacity), and 32 is never run. Steps of 8 s: a pair is
 * measured once its slower side ends, so past the candidate's knee pairs arrive at its ~8-10/s,
 * and the evidence that both fail at 23 builds up before that step's schedule ends: it is cut
 * there, not in its drain.
 */
const STREAM = { tokens: 6, interEventGapMs: 50, stampEvents: true } as const;
const LIMITS = { baseline: 6, candidate: 3 };
const RATES = { from: 5, to: 32, steps: 4 };
/** The grid's resolution: a knee is within one step of the truth. */
const STEP = 9;

describe('parity sweep: a candidate that saturates at half the baseline rate', () => {
  let proc: FixtureProcess;
  let res: { code: number; stdout: string; stderr: string };
  let sweep: SweepResult;
  let dir: string;
  let served: ServedStream[][];
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', ...STREAM, concurrency: LIMITS.baseline },
      { framing: 'named-events', ...STREAM, concurrency: LIMITS.candidate },
    ]);
    const ws = tempWorkspace([{ text: 'q' }]);
    dir = ws.out;
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { timeouts: { idle: '5s', firstEvent: '10s' } } });
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const policy = path.join(ws.dir, 'capacity.json');
    writeFileSync(
      policy,
      JSON.stringify({
        minSamples: 15,
        slo: 'ttft <= 200ms',
        gates: [
          { metric: 'goodput', threshold: '>= 50%' },
          { name: 'capacity-vs-baseline', metric: 'capacity', threshold: '>= 1.0x baseline' },
          { name: 'capacity-2x-expected', metric: 'capacity', threshold: '>= 20' },
        ],
      }),
    );
    res = await runCli(['sweep', ws.configFile, '--from', String(RATES.from), '--to', String(RATES.to), '--steps', String(RATES.steps), '--duration', '8s', '--warmup', '500ms', '--policy', policy, '--out', dir, '--sweep-id', 'sw', '--quiet']);
    sweep = JSON.parse(readFileSync(path.join(dir, 'sw', 'sweep.json'), 'utf8')) as SweepResult;
    served = [await proc.fixtures[0]!.served(), await proc.fixtures[1]!.served()];
  }, 120_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('finds each knee within one step of the capacity the servers actually had', () => {
    for (const [i, role] of (['baseline', 'candidate'] as const).entries()) {
      const hold = quantile(
        served[i]!.filter((s) => s.endAt !== undefined).map((s) => s.endAt! - s.headersAt!),
        0.5,
      );
      const truth = LIMITS[role] / (hold / 1000);
      const knee = sweep.knees[role].rate;
      expect(knee, `${role}: truth ${truth}/s, steps ${JSON.stringify(sweep.steps.map((s) => [s.rate, s[role].status, s[role].reasons]))}`).not.toBeNull();
      expect(Math.abs(knee! - truth)).toBeLessThanOrEqual(STEP);
    }
    expect(sweep.knees.ratio!).toBeGreaterThanOrEqual(0.33);
    expect(sweep.knees.ratio!).toBeLessThanOrEqual(0.67);
  });

  it('fails both capacity gates (exit 1), and stops once both targets are past their knee', () => {
    expect(sweep.gates.map((g) => [g.id, g.status])).toEqual([
      ['capacity-vs-baseline', 'fail'],
      ['capacity-2x-expected', 'fail'],
    ]);
    expect(sweep.verdict).toBe('fail');
    expect(res.code).toBe(1);
    const last = sweep.steps[sweep.steps.length - 1]!;
    expect(last.baseline.status).toBe('fail');
    expect(last.candidate.status).toBe('fail');
    if (sweep.steps.length < sweep.planned.length) expect(sweep.stoppedEarly).toMatch(/past their knees/);
  });

  it('cuts the step past both knees short as it runs: fewer iterations and less time than planned, recorded, never a pass', () => {
    const last = sweep.steps[sweep.steps.length - 1]!;
    const why = JSON.stringify(sweep.steps.map((s) => [s.rate, s.stoppedEarly, s.measuredMs]));
    expect(last.stoppedEarly, why).toMatch(/^stopped early after \d+ pairs: both targets already fail their SLO gates/);
    // Every earlier step ran its planned time: only a step where both already fail is cut.
    for (const s of sweep.steps.slice(0, -1)) expect(s.stoppedEarly, why).toBeNull();
    const run = JSON.parse(readFileSync(path.join(dir, 'sw', last.run, 'run.json'), 'utf8')) as {
      complete: boolean;
      incompleteReason: string;
      load: { plannedIterations: number; plannedDurationMs: number; iterations: number; warmupIterations: number; durationMs: number };
    };
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toBe(last.stoppedEarly);
    // The run's own record, not a wall clock: iterations started (warm-up included) and the run's time fall short of the plan.
    expect(run.load.iterations + run.load.warmupIterations).toBeLessThan(0.9 * run.load.plannedIterations);
    expect(run.load.durationMs).toBeLessThan(run.load.plannedDurationMs);
    expect(last.measuredMs).toBeLessThan(sweep.stepDurationMs - sweep.warmupMs);
    // Cut short, it counts as a failure for both targets and a pass for neither.
    expect([last.baseline.status, last.candidate.status]).toEqual(['fail', 'fail']);
    // The step's figures are rates over the time it ran, not the time it was planned for.
    expect(last.baseline.throughput).toBeCloseTo(last.baseline.streams * (1 - last.baseline.errorRate) / (last.measuredMs / 1000), 1);
    expect(readFileSync(path.join(dir, 'sw', 'sweep.md'), 'utf8')).toContain(`step at rate ${last.rate} cut short after`);
    // The higher rates were not run; the checks ran in their worker without a failure.
    expect(sweep.steps.length).toBeLessThan(sweep.planned.length);
    expect(sweep.stoppedEarly).toMatch(/the step was cut short once both already failed/);
    expect(res.stderr).not.toMatch(/early-stop check failed/);
  });

  it('writes each step as a normal run folder, and the sweep page and summary', () => {
    for (const s of sweep.steps) {
      const run = JSON.parse(readFileSync(path.join(dir, 'sw', s.run, 'run.json'), 'utf8')) as { load: { model: string; warmupIterations: number } };
      expect(run.load.model).toBe('constant-arrival-rate');
      expect(run.load.warmupIterations).toBeGreaterThan(0);
      expect(existsSync(path.join(dir, 'sw', s.run, 'report.html'))).toBe(true);
      expect(s.baseline.goodput).not.toBeNull();
    }
    const html = readFileSync(path.join(dir, 'sw', 'sweep.html'), 'utf8');
    expect(html).toContain('data-chart="sweep-latency"');
    expect(html).toContain('data-chart="sweep-goodput"');
    expect(readFileSync(path.join(dir, 'sw', 'sweep.md'), 'utf8')).toMatch(/knee, candidate: \d+\/s/);
    expect(res.stdout).toContain('Capacity sweep');
  });
});

describe('parity sweep: bad input', () => {
  it('rejects a policy with no SLO gate, and missing flags, with exit 3', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile })));
    const policy = path.join(ws.dir, 'p.json');
    writeFileSync(policy, JSON.stringify({ gates: [{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }] }));
    const r = await runCli(['sweep', ws.configFile, '--from', '1', '--to', '4', '--steps', '2', '--policy', policy, '--out', ws.out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SLO gates/);
    const r2 = await runCli(['sweep', ws.configFile, '--from', '1', '--steps', '2']);
    expect(r2.code).toBe(3);
    expect(r2.stderr).toMatch(/--to/);
  });
});
