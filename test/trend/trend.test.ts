import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { buildTrend, TREND_DEFAULTS } from '../../harness/trend/trend.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun, type SyntheticTarget } from '../helpers/run-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Night-to-night drift of the backends themselves (up to 5 % slower than usual, within the 10 %
// tolerance), on top of per-stream jitter and seeded faults; the noise-only latest nights (5, 6, 7)
// are the slow ones, so "not the noise" is tested where noise is worst.
const DRIFT = [1, 0.98, 1.01, 0.97, 1.04, 1.02, 1.05, 1.0];
const baseline = (k: number): SyntheticTarget => ({ name: 'python', firstContentMs: 40 * DRIFT[k]!, gapMs: 9 * DRIFT[k]!, faults: { reset: 0.01 } });
const candidate = (k: number, slower = 1): SyntheticTarget => ({ name: 'node', firstContentMs: 60 * DRIFT[k]! * slower, gapMs: 9.5 * DRIFT[k]!, faults: { reset: 0.02, stalled: 0.01 }, citationDrop: 0.05 });

/** Nights 1..count at 02:00 UTC; the last one optionally with the candidate's first content 30 % slower. */
function nights(count: number, regressLast: boolean): RunResult[] {
  return Array.from({ length: count }, (_, k) =>
    syntheticRun({
      runId: `2026110${k + 1}T020000Z-n${k}`,
      startedAt: `2026-11-0${k + 1}T02:00:00.000Z`,
      n: 400,
      seed: 100 + k * 17,
      baseline: baseline(k),
      candidate: candidate(k, regressLast && k === count - 1 ? 1.3 : 1),
    }),
  );
}


describe('nightly trend', () => {
  it('flags the injected regression: the candidate’s first content, and nothing of the baseline', () => {
    const t = buildTrend(nights(8, true));
    expect(t.latest).toBe('20261108T020000Z-n7');
    expect(t.checks.every((c) => c.history === 7)).toBe(true);
    const flagged = t.regressions.map((c) => `${c.role}/${c.metric}`);
    expect(flagged).toContain('candidate/firstContentP50');
    expect(flagged).toContain('candidate/firstContentP95');
    expect(flagged.filter((f) => f.startsWith('baseline/'))).toEqual([]);
    // Rates did not change: seeded fault noise must not be flagged.
    expect(flagged.filter((f) => /Rate|Presence/.test(f))).toEqual([]);
  });

  it('does not flag a night that is only noise', () => {
    for (const count of [5, 6, 7]) {
      const t = buildTrend(nights(count, false));
      expect(t.checks.length).toBeGreaterThan(10);
      expect(t.regressions).toEqual([]);
    }
    // The slow noise night really is slower than the median: it is unflagged because it stays within the tolerance.
    const strict = buildTrend(nights(7, false), { ...TREND_DEFAULTS, tolerance: 0.01 });
    expect(strict.checks.find((c) => c.role === 'candidate' && c.metric === 'firstContentP50')!.latest).toBeGreaterThan(strict.checks.find((c) => c.role === 'candidate' && c.metric === 'firstContentP50')!.median);
  });

  it('compares with the median of the previous N only, and with complete runs only', () => {
    const runs = nights(8, true);
    expect(buildTrend(runs, { ...TREND_DEFAULTS, window: 3 }).checks.every((c) => c.history === 3)).toBe(true);
    // An interrupted run after the regressed night is listed but not the one compared.
    const interrupted = syntheticRun({ runId: '20261109T020000Z-x', startedAt: '2026-11-09T02:00:00.000Z', seed: 9, baseline: baseline(0), candidate: candidate(0) });
    const t = buildTrend([...runs, { ...interrupted, complete: false, incompleteReason: 'interrupted' }]);
    expect(t.rows).toHaveLength(9);
    expect(t.latest).toBe('20261108T020000Z-n7');
    // Fewer than 2 earlier runs: no comparison, and it says why.
    expect(buildTrend(runs.slice(0, 2)).note).toMatch(/at least 2 complete runs before it; found 2/);
  });

  it('a huge tolerance flags nothing (the flag follows the configuration)', () => {
    expect(buildTrend(nights(8, true), { window: 7, tolerance: 1, rateTolerancePp: 50 }).regressions).toEqual([]);
  });

  it('parity trend writes trend.json and trend.html, lists unreadable runs, exits 1 on a regression', async () => {
    const dir = reportsDir(nights(6, true));
    mkdirSync(path.join(dir, 'screenshots')); // not a run: ignored
    mkdirSync(path.join(dir, 'broken'));
    writeFileSync(path.join(dir, 'broken', 'run.json'), '{"schemaVersion": 1, "runId"');
    const r = await runCli(['trend', dir, '--window', '5', '--tolerance', '15%', '--rate-tolerance', '2pp']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('6 runs; latest 20261106T020000Z-n5: REGRESSION');
    expect(r.stdout).toMatch(/node \(candidate\) first content p50: [\d.]+ ms vs median [\d.]+ ms of 5/);
    expect(r.stderr).toMatch(/skipped .*broken\/run\.json: PARITY_RUN_FILE_INVALID/);
    const json = JSON.parse(readFileSync(path.join(dir, 'trend.json'), 'utf8'));
    expect(json.options).toEqual({ window: 5, tolerance: 0.15, rateTolerancePp: 2 });
    expect(json.groups).toHaveLength(1);
    expect(json.groups[0].rows).toHaveLength(6);
    expect(json.groups[0].rows[0]).toMatchObject({ date: '2026-11-01T02:00:00.000Z', verdict: 'none', policy: null });
    expect(json.groups[0].rows[0].targets.map((t: { target: string }) => t.target)).toEqual(['python', 'node']);
    expect(json.skipped).toHaveLength(1);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(path.join(dir, 'trend.html')).href);
      expect(errors).toEqual([]);
      expect(await page.getAttribute('.banner', 'data-regression')).toBe('true');
      expect(await page.$$eval('table.runs tbody tr', (rows) => rows.length)).toBe(6);
      expect(await page.$$eval('figure.chart[data-chart^="trend-"] svg circle.dot', (d) => d.length)).toBe(5 * 2 * 6);
      mkdirSync(path.join(ROOT, 'reports', 'screenshots'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'reports', 'screenshots', 'trend.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('only noise: exit 0; bad options are usage errors', async () => {
    const dir = reportsDir(nights(5, false));
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toContain('no regression');
    expect(r.code).toBe(0);
    const bad = await runCli(['trend', dir, '--tolerance', 'ten']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--tolerance ten: expected a percentage like "10%"');
    const missing = await runCli(['trend', path.join(dir, 'nope')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no such reports folder');
  });
});
