import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { buildTrend } from '../../harness/trend/trend.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun } from '../helpers/run-fixture.ts';

/** Night k; `n` streams measured of the 300 planned. */
const night = (k: number, n = 300): RunResult => {
  const run = syntheticRun({
    runId: `2026110${k + 1}T020000Z-n${k}`,
    startedAt: `2026-11-0${k + 1}T02:00:00.000Z`,
    n,
    seed: 5 + k * 3,
    baseline: { name: 'python', firstContentMs: 40, gapMs: 9 },
    candidate: { name: 'node', firstContentMs: 60, gapMs: 9.5 },
  });
  return { ...run, load: { ...run.load, plannedIterations: 300 } };
};

/**
 * A complete latest run that measured a fraction of its usual streams (the planned load was not
 * delivered: starts dropped, a short duration) was checked like any other: its rate checks allow
 * for the sampling noise of 20 streams (several pp), and "no regression" was printed with exit 0
 * on evidence a tenth of the history's.
 */
describe('trend: a latest run with too few streams is not judged "no regression"', () => {
  it('buildTrend lists the targets measured under half their history’s median', () => {
    const t = buildTrend([0, 1, 2, 3].map((k) => night(k)).concat(night(4, 20)));
    expect(t.thin.map((x) => [x.role, x.count, x.median])).toEqual([
      ['baseline', 20, 300],
      ['candidate', 20, 300],
    ]);
    expect(buildTrend([0, 1, 2, 3, 4].map((k) => night(k))).thin).toEqual([]);
  });

  it('parity trend: NOT JUDGED, exit 2, no green banner', async () => {
    const dir = reportsDir([0, 1, 2, 3].map((k) => night(k)).concat(night(4, 20)));
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toMatch(/NOT JUDGED: the latest run measured 20 chat-stream streams of node \(candidate\), under half the history's median 300/);
    expect(r.code).toBe(2);
    const html = readFileSync(path.join(dir, 'trend.html'), 'utf8');
    expect(html).toContain('data-thin="chat-stream/candidate"');
    expect(html).not.toContain('data-regression="false"');
  });
});
