import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { findGaps } from '../../harness/trend/gaps.ts';
import { buildTrend } from '../../harness/trend/trend.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun } from '../helpers/run-fixture.ts';

/** Night `day` of November 2025 at 02:00 UTC. */
const night = (day: number): RunResult =>
  syntheticRun({
    runId: `202511${String(day).padStart(2, '0')}T020000Z-d${day}`,
    startedAt: `2025-11-${String(day).padStart(2, '0')}T02:00:00.000Z`,
    n: 200,
    seed: day * 7,
    baseline: { name: 'python', firstContentMs: 40, gapMs: 9 },
    candidate: { name: 'node', firstContentMs: 60, gapMs: 9.5 },
  });

/**
 * `parity trend` said nothing of nights with no run at all: a nightly job that stopped running (or
 * lost its run.json) left the trend comparing an old run and exiting 0 "no regression", night
 * after night, and a hole in the history read as an uneventful stretch.
 */
describe('trend: missing nights are said, and a stale history is not judged', () => {
  it('a hole in the nightly history is listed with its length and the usual spacing', () => {
    const t = buildTrend([1, 2, 3, 6, 7].map(night));
    expect(t.gaps).toEqual([{ after: '20251103T020000Z-d3', before: '20251106T020000Z-d6', hours: 72, usualHours: 24 }]);
    expect(findGaps([1, 2, 3, 4].map(night).map((r) => ({ runId: r.runId, date: r.startedAt })))).toEqual([]);
  });

  it('parity trend prints the hole; --max-age marks a history whose newest run is too old NOT JUDGED (exit 2)', async () => {
    const dir = reportsDir([1, 2, 3, 6, 7].map(night));
    const r = await runCli(['trend', dir]);
    expect(r.stdout).toContain('no run for 72 h between 20251103T020000Z-d3 and 20251106T020000Z-d6 (runs are usually 24 h apart)');
    expect(r.code).toBe(0);
    const stale = await runCli(['trend', dir, '--max-age', '26h']);
    expect(stale.stdout).toMatch(/NOT JUDGED: no run for \d+(\.\d)? h \(newest 20251107T020000Z-d7, --max-age 26h\)/);
    expect(stale.code).toBe(2);
    const html = readFileSync(path.join(dir, 'trend.html'), 'utf8');
    expect(html).toContain('data-stale=');
    expect(html).not.toContain('data-regression="false"');
    expect(JSON.parse(readFileSync(path.join(dir, 'trend.json'), 'utf8')).groups[0].stale.runId).toBe('20251107T020000Z-d7');
    const bad = await runCli(['trend', dir, '--max-age', 'soon']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--max-age soon: expected a duration like "26h"');
  });
});
