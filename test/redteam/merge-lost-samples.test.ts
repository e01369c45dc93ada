import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { PROMPTS, segmentConfig, writeConfig } from '../segments/helpers.ts';

const BASE = { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 2 } as const;
// Exactly 10 resets in every 100 candidate streams: 20 over the plan's 200 pairs.
const CAND = { ...BASE, faults: { reset: 0.1 } } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };

/**
 * A segment whose run.json came back but whose samples did not (not copied off its pod, or cut
 * short): `parity merge` summed the segment's counts into run.json from its state file, but judged
 * the verdict on the samples it found, half the plan's pairs. The resets in the lost half were in
 * the summaries and invisible to the gates: `interruption_count <= 14` passed a candidate with 20.
 */
describe('parity merge: a segment whose samples are lost or cut short', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace(PROMPTS);
  const policy = path.join(ws.dir, 'policy.yaml');
  let dirs: string[];
  beforeAll(async () => {
    proc = await startFixtureProcess([BASE, CAND]);
    const cfg = segmentConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { vus: 8, iterations: 200, timeouts } });
    const loaded = await resolveConfig(cfg, writeConfig(path.join(ws.dir, 'cfg.json'), cfg));
    const startAtMs = Date.now() + 300;
    const outs = await Promise.all([0, 1].map((index) => runParity(loaded, { outDir: ws.out, runId: 'lost', segment: { index, count: 2, source: 'test', startAtMs } })));
    dirs = outs.map((o) => o.dir);
    writeFileSync(policy, 'minSamples: 20\nfailedRequests: "<= +30pp"\ngates:\n  - { metric: interruption_count, threshold: "<= 14" }\n');
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('the whole plan fails the gate (20 resets)', async () => {
    const r = await runCli(['merge', ...dirs, '--policy', policy, '--out', path.join(ws.dir, 'whole'), '--dry-run']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
  });

  it('a segment without its samples file: the merged run is incomplete, never a pass', async () => {
    rmSync(path.join(dirs[1]!, 'samples.ndjson'));
    const out = path.join(ws.dir, 'missing');
    const r = await runCli(['merge', ...dirs, '--policy', policy, '--out', out, '--dry-run']);
    const merged = RunResult.parse(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')));
    expect(merged.verdict!.status, r.stdout).not.toBe('pass');
    expect(r.code).not.toBe(0);
    expect(merged.complete).toBe(false);
    expect(merged.incompleteReason).toMatch(/segment 2\/2: its samples file holds 0 pairs, its run\.json says 100/);
    // The merged run.json and its samples agree, so `parity gate` re-judges it (still never a pass).
    const g = await runCli(['gate', path.join(out, 'run.json'), '--policy', policy, '--dry-run']);
    expect(g.code, g.stderr).toBe(2);
  });

  it('a segment whose samples file was cut short: the same', async () => {
    const file = path.join(dirs[0]!, 'samples.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, lines.slice(0, 40).join('\n') + '\n');
    const out = path.join(ws.dir, 'cut');
    const r = await runCli(['merge', ...dirs, '--policy', policy, '--out', out, '--dry-run']);
    const merged = RunResult.parse(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')));
    expect(merged.verdict!.status, r.stdout).not.toBe('pass');
    expect(merged.incompleteReason).toMatch(/segment 1\/2: its samples file holds 40 pairs, its run\.json says 100/);
  });
});
