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

/**
 * A history was every run of one config name and policy: a night against another candidate
 * deployment (another URL) or under another load (more VUs) was part of the median the latest is
 * compared with. Times under another load or of another backend are not this one's history.
 */
describe('trend: the latest run is compared only with runs of the same targets and load', () => {
  const withLoad = (r: RunResult, vus: number): RunResult => ({ ...r, config: { load: { vus } } });
  const at = (r: RunResult, url: string): RunResult => ({ ...r, targets: r.targets.map((t) => (t.role === 'candidate' ? { ...t, baseUrl: url } : t)) });

  it('earlier runs under another load are set aside, with why, and a regression against the comparable runs is flagged', () => {
    // Nights 0-3 ran with 50 VUs and were slow for it; night 4 and 5 with 10 VUs; night 6 regressed vs 4-5 but not vs 0-3.
    const heavy = [0, 1, 2, 3].map((k) => withLoad(night(k, node(1.6)), 50));
    const light = [4, 5].map((k) => withLoad(night(k), 10));
    const latest = withLoad(night(6, node(1.4)), 10);
    const t = buildTrend([...heavy, ...light, latest]);
    expect(t.setAside.map((s) => s.runId)).toEqual(heavy.map((r) => r.runId));
    expect(t.setAside[0]!.reason).toMatch(/load/);
    expect(t.checks.every((c) => c.history === 2)).toBe(true);
    expect(t.regressions.some((c) => c.role === 'candidate' && c.metric === 'firstContentP50')).toBe(true);
  });

  it('another candidate URL: not its history; too few comparable runs is a note, not "no regression"', () => {
    const old = [0, 1, 2, 3].map((k) => at(night(k), 'https://node-old.staging.example'));
    const t = buildTrend([...old, at(night(4), 'https://node-new.staging.example')]);
    expect(t.setAside).toHaveLength(4);
    expect(t.setAside[0]!.reason).toMatch(/another candidate: .*node-old/);
    expect(t.checks).toEqual([]);
    expect(t.note).toMatch(/at least 2 complete runs before it; found 5 complete runs \(4 earlier complete runs set aside: another target or load, or an unhealthy harness\)/);
  });

  it('nights the harness may have shaped (harness-health warnings) are not history', () => {
    // Nights 0-3: the harness was overloaded and every time came out 60 % slower; the latest regressed 40 % vs the clean nights 4-5.
    const overloaded = [0, 1, 2, 3].map((k) => ({ ...night(k, node(1.6)), harness: { eventLoopDelayMs: null, dispatchLagMs: null, warnings: ['harness event-loop delay p99 80 ms (limit 50 ms)'] } }));
    const t = buildTrend([...overloaded, night(4), night(5), night(6, node(1.4))]);
    expect(t.setAside.map((s) => s.runId)).toEqual(overloaded.map((r) => r.runId));
    expect(t.setAside[0]!.reason).toMatch(/^harness health: harness event-loop delay/);
    expect(t.regressions.some((c) => c.role === 'candidate' && c.metric === 'firstContentP50')).toBe(true);
    // Nor are nights whose streams were not understood (a run warning): their numbers are not the backend's.
    const misread = [0, 1, 2, 3].map((k) => ({ ...night(k, node(1.6)), warnings: ['target "node" (candidate), scenario "chat-stream": the stream profile read no content'] }));
    const u = buildTrend([...misread, night(4), night(5), night(6, node(1.4))]);
    expect(u.setAside.map((s) => s.reason)).toEqual(misread.map(() => expect.stringMatching(/^measurement warning: .*read no content/)));
    expect(u.regressions.some((c) => c.role === 'candidate' && c.metric === 'firstContentP50')).toBe(true);
  });

  it('parity trend says what it set aside, in stdout and trend.html', async () => {
    const heavy = [0, 1, 2].map((k) => withLoad(night(k), 50));
    const dir = reportsDir([...heavy, withLoad(night(3), 10)]);
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toMatch(/3 earlier runs set aside \(another target or load, or an unhealthy harness/);
    expect(r.stdout).toMatch(/NOT JUDGED: no regression check: .*set aside/);
    // Runs exist, none comparable: not judged (exit 2), never read as "no regression" (test/redteam/trend-read-as-written.test.ts).
    expect(r.code).toBe(2);
    const html = readFileSync(path.join(dir, 'trend.html'), 'utf8');
    expect(html).toMatch(/<ul class="set-aside"><li><code>20261101T020000Z-n0<\/code>: another load/);
  });

  it('a loopback target on another ephemeral port is the same target', () => {
    const runs = [0, 1, 2, 3].map((k) => at(night(k), `http://127.0.0.1:${40_000 + k}`));
    expect(buildTrend(runs).setAside).toEqual([]);
  });
});
