import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { buildTrend } from '../../harness/trend/trend.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun, type SyntheticTarget } from '../helpers/run-fixture.ts';

const py: SyntheticTarget = { name: 'python', firstContentMs: 40, gapMs: 9 };
const node = (slower = 1): SyntheticTarget => ({ name: 'node', firstContentMs: 60 * slower, gapMs: 9.5 });
const night = (k: number, candidate = node()): RunResult =>
  syntheticRun({ runId: `2026110${k + 1}T020000Z-n${k}`, startedAt: `2026-11-0${k + 1}T02:00:00.000Z`, n: 300, seed: 40 + k * 11, baseline: py, candidate });

/** Last night's run as a broken run leaves it: preflight failed, nothing measured, complete false. */
function brokenNight(k: number): RunResult {
  const run = night(k);
  const empty = (s: RunResult['summaries'][number]['baseline']) => ({ ...s, count: 0, errorRate: 0, interruptionRate: 0, firstContentMs: null, completionMs: null, gapMs: null });
  return { ...run, complete: false, incompleteReason: 'preflight failed', load: { ...run.load, iterations: 0 }, summaries: run.summaries.map((s) => ({ ...s, baseline: empty(s.baseline), candidate: empty(s.candidate) })) };
}

/**
 * `parity trend` compared the latest COMPLETE run and exited 0 "no regression": a night whose run
 * failed outright (preflight failed, crashed, killed) read as "no change", and a nightly job
 * alerting on the trend's exit code stayed silent about it.
 */
describe('trend: the newest run not being judged is said, never read as "no regression"', () => {
  it('buildTrend names the newest run that is not the one compared, and why', () => {
    const t = buildTrend([night(0), night(1), night(2), night(3), brokenNight(4)]);
    expect(t.latest).toBe('20261104T020000Z-n3');
    expect(t.newest).toEqual({ runId: '20261105T020000Z-n4', reason: 'preflight failed' });
    // When the newest run is the one compared, nothing to say.
    expect(buildTrend([night(0), night(1), night(2), night(3)]).newest).toBeNull();
  });

  it('parity trend exits 2 and says the newest run was not judged; trend.html shows no green banner', async () => {
    const dir = reportsDir([night(0), night(1), night(2), night(3), brokenNight(4)]);
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toMatch(/newest run 20261105T020000Z-n4 is incomplete \(preflight failed\)/);
    expect(r.stdout).toMatch(/latest complete run 20261104T020000Z-n3: no regression/);
    expect(r.code, r.stdout).toBe(2);
    const html = readFileSync(path.join(dir, 'trend.html'), 'utf8');
    expect(html).not.toContain('data-regression="false"');
    expect(html).toContain('20261105T020000Z-n4');
    const json = JSON.parse(readFileSync(path.join(dir, 'trend.json'), 'utf8'));
    expect(json.groups[0].newest).toEqual({ runId: '20261105T020000Z-n4', reason: 'preflight failed' });
  });

  it('a regression in the latest complete run is still flagged (exit 1) when a broken night follows it', async () => {
    const dir = reportsDir([night(0), night(1), night(2), night(3, node(1.5)), brokenNight(4)]);
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toMatch(/REGRESSION/);
    expect(r.stdout).toMatch(/newest run 20261105T020000Z-n4 is incomplete/);
    expect(r.code).toBe(1);
  });
});
