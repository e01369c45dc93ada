import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { pairs, runOf, tempDir } from '../helpers/gates.ts';

/** A run folder as parity run leaves it: run.json and its samples.ndjson (these pairs, or another's). */
function runDir(root: string, name: string, run: RunResult, samples: PairedSample[]): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...run, runId: name }));
  writeFileSync(path.join(dir, 'samples.ndjson'), samples.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return path.join(dir, 'run.json');
}

/**
 * `parity gate` checked only that samples.ndjson held as many pairs as run.json said. A fixed
 * iteration count gives every night the same count, so last night's clean samples beside tonight's
 * run.json (a CI cache restoring the folder, a copy over the wrong run) were judged under tonight's
 * name: tonight's candidate, resetting one stream in ten, passed on samples it never produced.
 * The samples' outcome counts per scenario and side are now checked against run.json's summaries.
 */
describe('parity gate: samples that are not this run\'s are refused, not judged', () => {
  const root = tempDir();
  const policy = path.join(root, 'policy.yaml');
  writeFileSync(policy, 'minSamples: 100\ngates:\n  - { metric: completion.p95, threshold: "<= 1.2x baseline" }\n');
  const broken = pairs(400, () => ({}), (i) => (i % 10 === 0 ? { outcome: 'reset', completionMs: undefined } : {}));
  const clean = pairs(400, () => ({}), () => ({}));
  const tonight = runOf(broken);

  it('its own samples: judged (the resets fail it)', async () => {
    const r = await runCli(['gate', runDir(root, 'own', tonight, broken), '--policy', policy, '--dry-run']);
    expect(r.stdout).toContain('verdict: FAIL');
    expect(r.code).toBe(1);
  });

  it('another run\'s samples with as many pairs: exit 3, PARITY_RUN_FILE_INVALID, naming the difference', async () => {
    const file = runDir(root, 'swapped', tonight, clean);
    const before = readFileSync(file, 'utf8');
    const r = await runCli(['gate', file, '--policy', policy, '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('PARITY_RUN_FILE_INVALID');
    expect(r.stderr).toContain('scenario "s", candidate: 400 complete in the samples, 360 in run.json');
    expect(r.stdout).not.toContain('verdict: PASS');
    expect(readFileSync(file, 'utf8')).toBe(before); // no verdict written
  });

  it('samples edited after the run (failures rewritten as completions): refused the same way', async () => {
    const edited = broken.map((p) => (p.candidate.outcome === 'reset' ? { ...p, candidate: { ...p.candidate, outcome: 'complete' as const, completionMs: 100 } } : p));
    const r = await runCli(['gate', runDir(root, 'edited', tonight, edited), '--policy', policy, '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('candidate: 400 complete in the samples, 360 in run.json');
  });

  it('an incomplete run whose summaries hold more than its samples: judged with a warning, never a pass', async () => {
    const partial = runOf(broken, { complete: false, incompleteReason: 'segment 2/2: its samples file holds 0 pairs' });
    const r = await runCli(['gate', runDir(root, 'partial', { ...partial, samples: { file: 'samples.ndjson', pairs: 200 } }, clean.slice(0, 200)), '--policy', policy, '--dry-run']);
    expect(r.stderr).toContain('does not match run.json\'s summaries');
    expect(r.code).toBe(2);
  });
});
