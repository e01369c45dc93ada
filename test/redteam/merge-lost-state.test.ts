import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { SEGMENT_STATE_FILE } from '../../harness/run/segment-run.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { PROMPTS, segmentConfig, writeConfig } from '../segments/helpers.ts';

const BASE = { framing: 'named-events', tokens: 2, interEventGapMs: 5 } as const;
// A freeze fills maxInFlight on both segments: each drops the starts scheduled meanwhile.
const CAND = { ...BASE, freeze: { afterMs: 400, forMs: 1200 } } as const;
const timeouts = { firstEvent: '10s', idle: '10s', total: '20s' };

/**
 * A finished segment whose run.json and samples came back but not its segment-state.json (the
 * histograms and counters it measured): `parity merge` rebuilt its summaries from the samples and
 * called the merged run complete. Everything the samples do not hold was silently gone: its dropped
 * starts vanished from the summaries (the pass blocker reads them), and so would its per-endpoint
 * summaries and the contract diffs sampled under load (what contract_drift gates read).
 */
describe('parity merge: a finished segment without its segment-state.json', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace(PROMPTS);
  let dirs: string[];
  beforeAll(async () => {
    proc = await startFixtureProcess([BASE, CAND]);
    const cfg = segmentConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { model: 'constant-arrival-rate', rate: 40, duration: '3s', maxInFlight: 4, timeouts } });
    const loaded = await resolveConfig(cfg, writeConfig(path.join(ws.dir, 'cfg.json'), cfg));
    const startAtMs = Date.now() + 300;
    const outs = await Promise.all([0, 1].map((index) => runParity(loaded, { outDir: ws.out, runId: 'nostate', segment: { index, count: 2, source: 'test', startAtMs } })));
    dirs = outs.map((o) => o.dir);
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('is incomplete, says why, and keeps the dropped starts its run.json reported', async () => {
    const seg2 = RunResult.parse(JSON.parse(readFileSync(path.join(dirs[1]!, 'run.json'), 'utf8')));
    expect(seg2.complete).toBe(true);
    expect(seg2.load.dropped, 'the freeze must have dropped starts on segment 2').toBeGreaterThan(5);
    rmSync(path.join(dirs[1]!, SEGMENT_STATE_FILE));
    expect(existsSync(path.join(dirs[1]!, SEGMENT_STATE_FILE))).toBe(false);
    const out = path.join(ws.dir, 'merged');
    const r = await runCli(['merge', ...dirs, '--out', out]);
    const merged = RunResult.parse(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')));
    expect(merged.complete, r.stdout).toBe(false);
    expect(r.code).toBe(2);
    expect(merged.incompleteReason).toMatch(/segment 2\/2: its segment-state\.json is missing/);
    const droppedInSummaries = merged.summaries.reduce((a, s) => a + (s.candidate.dropped ?? 0), 0);
    expect(droppedInSummaries).toBe(merged.load.dropped);
  }, 60_000);
});
