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
 */
const STREAM = { tokens: 6, interEventGapMs: 50, stampEvents: true } as const;
const LIMITS = { baseline: 6, candidate: 3 };
const STEP = 6;

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
    res = await runCli(['sweep', ws.configFile, '--from', String(STEP), '--to', String(4 * STEP), '--steps', '4', '--duration', '3s', '--warmup', '500ms', '--policy', policy, '--out', dir, '--sweep-id', 'sw', '--quiet']);
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
