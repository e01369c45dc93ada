import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { groupRuns, runLabels } from '../../harness/trend/groups.ts';
import { TREND_DEFAULTS } from '../../harness/trend/trend.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun } from '../helpers/run-fixture.ts';

const target = (name: string, firstContentMs: number) => ({ name, firstContentMs, gapMs: 9, faults: { reset: 0.01 } });

/** Night k of one config: config A's candidate regresses on its last night, config B's never does. */
function night(config: 'A' | 'B', k: number, regress: boolean): RunResult {
  const run = syntheticRun({
    runId: `2026110${k + 1}T0${config === 'A' ? 2 : 3}0000Z-${config}${k}`,
    startedAt: `2026-11-0${k + 1}T0${config === 'A' ? 2 : 3}:00:00.000Z`,
    n: 400,
    seed: 7 + k * 13 + (config === 'A' ? 0 : 500),
    baseline: target('python', 40),
    candidate: target(config === 'A' ? 'node' : 'go', (config === 'A' ? 60 : 45) * (regress ? 1.4 : 1)),
  });
  return { ...run, name: `config ${config}`, configFile: `nightly-${config}.config.ts` };
}


describe('trend: one history per config name and policy, each run once', () => {
  const a = Array.from({ length: 5 }, (_, k) => night('A', k, k === 4));
  const b = Array.from({ length: 5 }, (_, k) => night('B', k, false));

  it('runs of two configs: each config judged against its own history only', () => {
    const g = groupRuns([...a, ...b], TREND_DEFAULTS);
    expect(g.groups.map((x) => x.name)).toEqual(['config A', 'config B']);
    const [ga, gb] = g.groups as [(typeof g.groups)[0], (typeof g.groups)[0]];
    expect(ga.rows.map((r) => r.runId)).toEqual(a.map((r) => r.runId));
    expect(gb.rows.map((r) => r.runId)).toEqual(b.map((r) => r.runId));
    expect(ga.latest).toBe(a[4]!.runId);
    expect(gb.latest).toBe(b[4]!.runId);
    expect(ga.regressions.some((c) => c.role === 'candidate' && c.metric.startsWith('firstContent'))).toBe(true);
    expect(gb.regressions).toEqual([]);
    // Mixed into one history, B's faster candidate would have hidden A's regression or invented one.
    expect(ga.checks.every((c) => c.target !== 'go')).toBe(true);
  });

  it('a copied run folder counts once; a contract-only run and other policies are kept apart', () => {
    const contractOnly = { ...night('A', 5, false), runId: '20261106T020000Z-contracts', summaries: [] };
    const judged = { ...night('A', 5, false), runId: '20261106T030000Z-judged', verdict: { status: 'pass' as const, policy: 'stage-b', gates: [], reasons: [], evaluatedAt: '2026-11-06T03:10:00.000Z' } };
    const g = groupRuns([...a, a[2]!, contractOnly, judged], TREND_DEFAULTS);
    expect(g.groups.map((x) => [x.name, x.policy, x.rows.length])).toEqual([['config A', null, 5], ['config A', 'stage-b', 1]]);
    expect(g.excluded).toEqual([
      { runId: a[2]!.runId, reason: expect.stringMatching(/duplicate run id/) },
      { runId: contractOnly.runId, reason: expect.stringMatching(/contract-only/) },
    ]);
  });

  it('x-axis labels tell runs apart: date and time, the run id where two share a minute', () => {
    expect(runLabels([{ runId: 'r1', date: '2026-11-01T02:00:00.000Z' }, { runId: 'r2', date: '2026-11-01T14:30:00.000Z' }])).toEqual(['11-01 02:00', '11-01 14:30']);
    expect(runLabels([{ runId: '20261101T020000Z-aaaa', date: '2026-11-01T02:00:01.000Z' }, { runId: '20261101T020000Z-bbbb', date: '2026-11-01T02:00:30.000Z' }])).toEqual(['020000Z-aaaa', '020000Z-bbbb']);
  });

  it('parity trend over two configs reports each separately; --name and --config pick one; a copy is counted once', async () => {
    const dir = reportsDir([...a, ...b]);
    cpSync(path.join(dir, a[1]!.runId), path.join(dir, 'copy-of-a1'), { recursive: true });
    const r = await runCli(['trend', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^config A · no policy: 5 runs; latest 20261105T020000Z-A4: REGRESSION/m);
    expect(r.stdout).toMatch(/^config B · no policy: 5 runs; latest 20261105T030000Z-B4: no regression/m);
    expect(r.stdout).toMatch(/1 run left out/);
    const json = JSON.parse(readFileSync(path.join(dir, 'trend.json'), 'utf8'));
    expect(json.groups.map((g: { name: string; rows: unknown[] }) => [g.name, g.rows.length])).toEqual([['config A', 5], ['config B', 5]]);
    const html = readFileSync(path.join(dir, 'trend.html'), 'utf8');
    expect(html.match(/<section class="trend-group"/g)).toHaveLength(2);
    expect(html).toContain('11-05 02:00');

    const onlyB = await runCli(['trend', dir, '--name', 'config B', '--out', path.join(dir, 'b')]);
    expect(onlyB.code).toBe(0);
    expect(onlyB.stdout).not.toMatch(/config A ·/);
    const byFile = await runCli(['trend', dir, '--config', 'nightly-A.config.ts', '--out', path.join(dir, 'a')]);
    expect(byFile.code).toBe(1);
    expect(byFile.stdout).not.toMatch(/config B ·/);
    // Printed paths are absolute.
    expect(byFile.stdout).toContain(path.join(dir, 'a', 'trend.html'));
  });
});
