import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { SEGMENT_STATE_FILE } from '../../harness/run/segment-run.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { PROMPTS, segmentConfig, writeConfig } from '../segments/helpers.ts';

const BASE = { framing: 'named-events', tokens: 2, interEventGapMs: 2 } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };

/**
 * A segment folder holding another segment's samples.ndjson or segment-state.json (a CI copy step
 * that copied the wrong artifact), with as many pairs as its own: `parity merge` checked only the
 * pair count, so it called the merge complete. Segment 1 runs the even iterations (scenario "a"),
 * segment 2 the odd ones (scenario "b"): with segment 1's samples in both folders the merged
 * samples held every one of segment 1's pairs twice and none of segment 2's, so scenario "b"'s
 * pairs were invisible to the gates while its summaries said 100; with segment 1's state in both
 * folders the merged summaries counted segment 1's measurements twice and segment 2's not at all.
 */
describe('parity merge: a segment folder holding another segment\'s files', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace(PROMPTS);
  let dirs: string[];
  const own = new Map<string, Buffer>();
  beforeAll(async () => {
    proc = await startFixtureProcess([BASE, BASE]);
    const cfg = segmentConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { vus: 4, iterations: 80, timeouts } });
    const loaded = await resolveConfig(cfg, writeConfig(path.join(ws.dir, 'cfg.json'), cfg));
    const startAtMs = Date.now() + 300;
    const outs = await Promise.all([0, 1].map((index) => runParity(loaded, { outDir: ws.out, runId: 'foreign', segment: { index, count: 2, source: 'test', startAtMs } })));
    dirs = outs.map((o) => o.dir);
    for (const d of dirs) for (const f of ['run.json', 'samples.ndjson', SEGMENT_STATE_FILE]) own.set(path.join(d, f), readFileSync(path.join(d, f)));
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });
  beforeEach(() => {
    for (const [f, bytes] of own) writeFileSync(f, bytes);
  });

  const merge = async (name: string) => {
    const out = path.join(ws.dir, name);
    const r = await runCli(['merge', ...dirs, '--out', out]);
    const merged = RunResult.parse(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')));
    const iterations = readFileSync(path.join(out, 'samples.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { iteration: number }).iteration);
    return { r, merged, iterations };
  };

  it('the segments\' own files merge complete, every iteration once', async () => {
    const { r, merged, iterations } = await merge('whole');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(merged.complete).toBe(true);
    expect(iterations.length).toBe(80);
    expect(new Set(iterations).size).toBe(80);
  });

  it('segment 1\'s samples.ndjson in segment 2\'s folder: incomplete, named, no pair judged twice', async () => {
    copyFileSync(path.join(dirs[0]!, 'samples.ndjson'), path.join(dirs[1]!, 'samples.ndjson'));
    const { r, merged, iterations } = await merge('samples');
    expect(merged.complete, r.stdout).toBe(false);
    expect(r.code).toBe(2);
    expect(merged.incompleteReason).toContain(`segment 2/2 (${dirs[1]}): its samples.ndjson is not the one it wrote`);
    // Segment 1's pairs are joined once; the foreign copy is left out.
    expect(new Set(iterations).size).toBe(iterations.length);
    expect(iterations.every((i) => i % 2 === 0)).toBe(true);
    const g = await runCli(['gate', path.join(ws.dir, 'samples', 'run.json'), '--policy', writePolicy(), '--dry-run']);
    expect(g.code, g.stdout + g.stderr).toBe(2);
  });

  it('segment 1\'s segment-state.json in segment 2\'s folder: incomplete, named, summaries not counted twice', async () => {
    copyFileSync(path.join(dirs[0]!, SEGMENT_STATE_FILE), path.join(dirs[1]!, SEGMENT_STATE_FILE));
    const { r, merged, iterations } = await merge('state');
    expect(merged.complete, r.stdout).toBe(false);
    expect(r.code).toBe(2);
    expect(merged.incompleteReason).toContain(`segment 2/2 (${dirs[1]}): its ${SEGMENT_STATE_FILE} is not the one it wrote`);
    // Segment 2's summaries are rebuilt from its own samples: 40 pairs of scenario "b", none of "a" twice.
    const count = (scenario: string) => merged.summaries.find((s) => s.scenario === scenario)!.candidate.count;
    expect([count('a'), count('b')]).toEqual([40, 40]);
    expect(iterations.length).toBe(80);
  });

  it('a finished segment whose run.json records no sha256 of its files (an older parity): incomplete, its files cannot be shown to be its own', async () => {
    const file = path.join(dirs[1]!, 'run.json');
    const run = JSON.parse(readFileSync(file, 'utf8')) as { segment: { files?: unknown } };
    expect(run.segment.files).toBeDefined();
    delete run.segment.files;
    writeFileSync(file, JSON.stringify(run));
    const { r, merged } = await merge('unrecorded');
    expect(r.code, r.stdout).toBe(2);
    expect(merged.incompleteReason).toContain(`segment 2/2 (${dirs[1]}): its run.json records no sha256 of its samples.ndjson and ${SEGMENT_STATE_FILE}`);
  });

  function writePolicy(): string {
    const file = path.join(ws.dir, 'policy.yaml');
    writeFileSync(file, 'minSamples: 5\ngates:\n  - { metric: interruption_count, threshold: "<= 100" }\n');
    return file;
  }
});
