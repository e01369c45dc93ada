import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { reportsDir } from '../helpers/reports-dir.ts';
import { syntheticRun } from '../helpers/run-fixture.ts';

/** Nights 1..count; the last one's candidate first content 50 % slower (a plain regression). */
function nights(count: number): RunResult[] {
  return Array.from({ length: count }, (_, k) =>
    syntheticRun({
      runId: `2026110${k + 1}T020000Z-r${k}`,
      startedAt: `2026-11-0${k + 1}T02:00:00.000Z`,
      n: 300,
      seed: 40 + k * 13,
      baseline: { name: 'python', firstContentMs: 40, gapMs: 9 },
      candidate: { name: 'node', firstContentMs: k === count - 1 ? 90 : 60, gapMs: 9.5 },
    }),
  );
}

/**
 * Two ways `parity trend` said "no regression" (exit 0) about nights it never judged:
 * `--tolerance 10` (meant: 10 %) was read as the fraction 10, a 1000 % slack that hides every
 * regression; and a `--name` or `--config` that matches no run (a typo in the nightly job), or an
 * empty reports folder, printed "no runs to trend" and exited 0.
 */
describe('trend: options read as written, and nothing judged is not a pass', () => {
  it('--tolerance 10 is refused with the fix; 10% and 0.1 flag the regression', async () => {
    const dir = reportsDir(nights(6));
    const plain = await runCli(['trend', dir, '--tolerance', '10']);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain('--tolerance 10: a plain number is a fraction (10 would be 1000%); write "10%"');
    const one = await runCli(['trend', dir, '--tolerance', '1']);
    expect(one.code).toBe(3);
    for (const t of ['10%', '0.1']) {
      const r = await runCli(['trend', dir, '--tolerance', t]);
      expect(r.stdout).toContain('REGRESSION');
      expect(r.code).toBe(1);
    }
  });

  it('a --name or --config that matches no run is NOT JUDGED (exit 2), naming what the folder holds', async () => {
    const dir = reportsDir(nights(4));
    const name = nights(1)[0]!.name;
    const typo = await runCli(['trend', dir, '--name', `${name}x`]);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toContain(`NOT JUDGED: no runs to trend`);
    expect(typo.stdout).toContain(`--name ${JSON.stringify(`${name}x`)} matches none of the config names ${JSON.stringify(name)}`);
    const config = await runCli(['trend', dir, '--config', 'weekly.config.ts']);
    expect(config.code).toBe(2);
    expect(config.stdout).toContain('--config "weekly.config.ts" matches none of the config files "scenarios/nightly.config.ts"');
    // Spelt right, the same folder is judged: its last night regressed.
    const right = await runCli(['trend', dir, '--name', name, '--config', 'nightly.config.ts']);
    expect(right.stdout).toContain('REGRESSION');
    expect(right.code).toBe(1);
  });

  it('a history whose earlier runs were all set aside (a candidate URL that changes nightly) is NOT JUDGED; a new one is not', async () => {
    const preview = nights(4).map((r, k) => ({ ...r, targets: r.targets.map((t) => (t.role === 'candidate' ? { ...t, baseUrl: `https://pr-${k}.preview.example` } : t)) }));
    const r = await runCli(['trend', reportsDir(preview)]);
    expect(r.stdout).toContain('NOT JUDGED: no regression check');
    expect(r.code).toBe(2);
    // A new history (its first nights, nothing set aside) has no check yet, and says so: exit 0.
    const fresh = await runCli(['trend', reportsDir(nights(2))]);
    expect(fresh.stdout).toContain('no regression check: needs the latest run and at least 2 complete runs before it');
    expect(fresh.stdout).not.toContain('NOT JUDGED');
    expect(fresh.code).toBe(0);
  });

  it('an empty reports folder is NOT JUDGED (exit 2)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'parity-trend-empty-'));
    const r = await runCli(['trend', empty]);
    expect(r.stdout).toContain('NOT JUDGED: no runs to trend');
    expect(r.code).toBe(2);
  });
});
