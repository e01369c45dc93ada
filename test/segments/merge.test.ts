import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type LoadedConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { summarize } from '../../harness/metrics/summary.ts';
import { readPairsSync } from '../../harness/run/pairs.ts';
import { ensureSamples } from '../../harness/run/samples-file.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { PROMPTS, runSegments, segmentConfig, writeConfig } from './helpers.ts';

const BASE = { framing: 'named-events', tokens: 3, firstContentDelayMs: 10, interEventGapMs: 3 } as const;
// The candidate resets 10 % of its streams and drops citations: gates have something to judge.
const CAND = { framing: 'named-events', tokens: 3, firstContentDelayMs: 15, interEventGapMs: 3, faults: { reset: 0.1, citationDrop: 0.1 } } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };
const N = 4;

const readRunJson = (file: string) => RunResult.parse(JSON.parse(readFileSync(file, 'utf8')));
/**
 * Summaries equal: counts, outcomes and every histogram figure exactly; a mean (a sum of floats,
 * added in another order when shards merge, then rounded to 0.001) may land one rounding unit away.
 */
function expectSameSummary(actual: unknown, expected: unknown, at = 'summary'): void {
  if (typeof actual === 'number' && typeof expected === 'number' && at.endsWith('.mean')) {
    expect(Math.abs(actual - expected), at).toBeLessThanOrEqual(0.0011);
  } else if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    expect(Object.keys(actual).sort(), at).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected)) expectSameSummary((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${at}.${k}`);
  } else expect(actual, at).toEqual(expected);
}

describe('parity merge', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace(PROMPTS);
  let cfg: (load: ConfigInput['load']) => ConfigInput;
  const promoted = path.join(ws.dir, 'promoted');
  const held = path.join(ws.dir, 'held');
  const mark = (file: string) => `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(file)}]`;
  const policy = path.join(ws.dir, 'policy.yaml');
  writeFileSync(
    policy,
    // The candidate resets 10% of its streams: the failed-requests guard is loosened to match the gate.
    `minSamples: 20\nfailedRequests: "<= +30pp"\ngates:\n  - { metric: error_rate, threshold: "<= +30pp" }\n  - { metric: completion.p95, threshold: "<= 3x baseline" }\n` +
      `hooks:\n  onPass:\n    exec: ${mark(promoted)}\n  onInconclusive:\n    exec: ${mark(held)}\n`,
  );
  /** Runs segments in this process (cheap: one event loop), all with one start signal and run id. */
  const segmentsInProcess = async (loaded: LoadedConfig, out: string, runId: string, segs: { index: number; count: number; delayMs?: number }[], workers = 1) => {
    const startAtMs = Date.now() + (workers > 1 ? 1500 : 300);
    const outs = await Promise.all(segs.map((s) => runParity(loaded, { outDir: out, runId, workers, segment: { index: s.index, count: s.count, source: 'test', startAtMs: startAtMs + (s.delayMs ?? 0) } })));
    return outs.map((o) => o.dir);
  };

  beforeAll(async () => {
    proc = await startFixtureProcess([BASE, CAND]);
    cfg = (load) => segmentConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load });
  });
  afterAll(async () => {
    await proc?.close();
  });

  let dirs: string[] = [];
  let loaded: LoadedConfig;
  const closed: ConfigInput['load'] = { vus: 8, iterations: 60, timeouts };

  it('merges 4 closed-model segments into the plan: iterations 0..n-1, summaries equal to those of the joined samples, counts summed', async () => {
    const file = writeConfig(path.join(ws.dir, 'closed.json'), cfg(closed));
    loaded = await resolveConfig(cfg(closed), file);
    dirs = await segmentsInProcess(loaded, ws.out, 'merge-closed', [0, 1, 2, 3].map((index) => ({ index, count: N })));
    const r = await runCli(['merge', ...dirs]);
    expect(r.code, r.stderr).toBe(0);
    const mergedJson = path.join(ws.out, 'merge-closed', 'run.json');
    const merged = readRunJson(mergedJson);
    expect(merged.complete).toBe(true);
    expect(merged.load).toMatchObject({ plannedIterations: 60, iterations: 60, workers: 4 });
    expect(merged.segments).toMatchObject({ count: N, missing: [] });
    expect(merged.segments!.segments.map((s) => [s.index, s.pairs])).toEqual([[1, 15], [2, 15], [3, 15], [4, 15]]);
    // Each segment's own health is kept beside the merged figures.
    for (const s of merged.segments!.segments) expect(s.harness?.eventLoopDelayMs).not.toBeNull();
    const joined = readPairsSync(path.join(ws.out, 'merge-closed', 'samples.ndjson'));
    expect(joined.map((p) => p.iteration).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(merged.samples.pairs).toBe(60);
    for (const s of merged.summaries) {
      const mine = joined.filter((p) => p.scenario === s.scenario);
      expectSameSummary(s.baseline, summarize('base', 'baseline', s.scenario, mine.map((p) => p.baseline)));
      expectSameSummary(s.candidate, summarize('cand', 'candidate', s.scenario, mine.map((p) => p.candidate)));
    }
    expect(merged.summaries.reduce((a, s) => a + s.candidate.outcomes.reset, 0)).toBe(joined.filter((p) => p.candidate.outcome === 'reset').length);
  });

  it('segment K/N on W worker threads composes: 2 segments × 2 workers send the plan, closed and arrival-rate', async () => {
    for (const [name, load, count] of [
      ['wclosed', { vus: 4, iterations: 24, timeouts }, 24],
      ['warrival', { model: 'constant-arrival-rate', rate: 40, duration: '1s', timeouts }, 40],
    ] as const) {
      const c = cfg(load);
      const d = await segmentsInProcess(await resolveConfig(c, writeConfig(path.join(ws.dir, `${name}.json`), c)), path.join(ws.dir, name), name, [
        { index: 0, count: 2 },
        { index: 1, count: 2 },
      ], 2);
      const r = await runCli(['merge', path.join(ws.dir, name, name)]);
      expect(r.code, r.stderr).toBe(0);
      const merged = readRunJson(path.join(ws.dir, name, name, 'run.json'));
      expect(merged.load.workers).toBe(4);
      const joined = readPairsSync(path.join(ws.dir, name, name, 'samples.ndjson'));
      expect(joined.map((p) => p.iteration).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      for (const [k, dir] of d.entries()) for (const p of readPairsSync(path.join(dir, 'samples.ndjson'))) expect(p.iteration % 2).toBe(k);
    }
  });

  it('merge --policy gives the verdict `parity gate` gives on the merged run', async () => {
    const out = path.join(ws.dir, 'judged');
    const r = await runCli(['merge', ...dirs, '--policy', policy, '--out', out, '--dry-run']);
    const first = readRunJson(path.join(out, 'run.json')).verdict!;
    const g = await runCli(['gate', path.join(out, 'run.json'), '--policy', policy, '--dry-run']);
    const again = readRunJson(path.join(out, 'run.json')).verdict!;
    expect(g.code).toBe(r.code);
    expect({ ...again, evaluatedAt: '' }).toEqual({ ...first, evaluatedAt: '' });
    // A segment's own run.json is never gated alone.
    const seg = await runCli(['gate', path.join(dirs[0]!, 'run.json'), '--policy', policy, '--dry-run']);
    expect(seg.code).toBe(3);
    expect(seg.stderr).toMatch(/is segment 1\/4 of a plan, part of a run: merge the segments/);
    expect(first.gates.length).toBe(5); // two gates, the failed-requests guard and one per scenario (two)
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
  });

  it('a missing segment makes the merged run incomplete and inconclusive', async () => {
    const out = path.join(ws.dir, 'three');
    const r = await runCli(['merge', ...dirs.slice(0, 3), '--policy', policy, '--out', out]);
    expect(r.code).toBe(2);
    const merged = readRunJson(path.join(out, 'run.json'));
    expect(merged.complete).toBe(false);
    expect(merged.incompleteReason).toBe('segment 4/4 missing');
    expect(merged.segments!.missing).toEqual([4]);
    expect(merged.verdict!.status).toBe('inconclusive');
    expect(existsSync(promoted)).toBe(false);
  });

  it('refuses a segment of another config or another number of segments (exit 3, naming it)', async () => {
    const other = cfg({ ...closed, iterations: 64 });
    const otherDirs = await segmentsInProcess(await resolveConfig(other, writeConfig(path.join(ws.dir, 'other.json'), other)), path.join(ws.dir, 'other'), 'merge-closed', [{ index: 1, count: N }]);
    const r = await runCli(['merge', dirs[0]!, otherDirs[0]!, dirs[2]!, dirs[3]!, '--out', path.join(ws.dir, 'refused')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PARITY_SEGMENT_MISMATCH/);
    expect(r.stderr).toContain(`segment 2/4 (${otherDirs[0]}) is not a segment of the same plan`);
    expect(r.stderr).toMatch(/config differs at load\.iterations: 64 there, 60 here/);
    expect(existsSync(path.join(ws.dir, 'refused', 'run.json'))).toBe(false);

    const threeDirs = await segmentsInProcess(loaded, path.join(ws.dir, 'three-way'), 'merge-closed', [{ index: 1, count: 3 }]);
    const n = await runCli(['merge', dirs[0]!, threeDirs[0]!, '--out', path.join(ws.dir, 'refused')]);
    expect(n.code).toBe(3);
    expect(n.stderr).toMatch(/the number of segments is 3 there, 4 here/);
    const dup = await runCli(['merge', dirs[0]!, dirs[0]!, '--out', path.join(ws.dir, 'refused')]);
    expect(dup.stderr).toMatch(/are both segment 1/);
  });

  it('segments that started further apart than --max-skew give a harness warning: inconclusive, no onPass', async () => {
    const d = await segmentsInProcess(loaded, path.join(ws.dir, 'skewed'), 'skewed', [
      { index: 0, count: 2 },
      { index: 1, count: 2, delayMs: 400 },
    ]);
    const r = await runCli(['merge', ...d, '--policy', policy, '--max-skew', '150ms']);
    const merged = readRunJson(path.join(ws.dir, 'skewed', 'skewed', 'run.json'));
    expect(merged.complete).toBe(true);
    expect(merged.segments!.skewMs).toBeGreaterThanOrEqual(390);
    expect(merged.harness!.warnings.join('\n')).toMatch(/segments started their schedules \d+(\.\d+)? ms apart \(limit 150 ms/);
    expect(merged.verdict!.status).toBe('inconclusive');
    expect(r.code).toBe(2);
    expect(existsSync(promoted)).toBe(false);
  });

  it('a segment killed mid-run (merged by its run folder): the merged run is incomplete, inconclusive, onPass never fires, its spooled samples kept', async () => {
    const load: ConfigInput['load'] = { model: 'constant-arrival-rate', rate: 40, duration: '3s', timeouts };
    const file = writeConfig(path.join(ws.dir, 'killed.json'), cfg(load));
    const out = path.join(ws.dir, 'killed');
    const { results } = await runSegments(file, out, N, { kill: { segment: 3, afterMs: 2500 } });
    expect(results.map((r) => r.code)).toEqual([0, 0, null, 0]);
    expect(results[2]!.signal).toBe('SIGKILL');
    const [runId] = (await import('node:fs')).readdirSync(out);
    const segDirs = [1, 2, 3, 4].map((k) => path.join(out, runId!, 'segments', `${k}-of-4`));
    // What the killed segment had spooled when it died (converted as a reader of the run would).
    await ensureSamples(path.join(segDirs[2]!, 'samples.ndjson'));
    const spooled = existsSync(path.join(segDirs[2]!, 'samples.ndjson')) ? readPairsSync(path.join(segDirs[2]!, 'samples.ndjson')).length : 0;
    const r = await runCli(['merge', path.join(out, runId!), '--policy', policy]);
    expect(r.code).toBe(2);
    const merged = readRunJson(path.join(out, runId!, 'run.json'));
    expect(merged.complete).toBe(false);
    expect(merged.incompleteReason).toBe('segment 3/4 incomplete (running)');
    expect(merged.verdict!.status).toBe('inconclusive');
    expect(merged.verdict!.reasons.join('\n')).toMatch(/run incomplete/);
    expect(existsSync(promoted)).toBe(false);
    expect(readFileSync(held, 'utf8')).toBe('inconclusive');
    // What the killed segment measured before it died is in the merged samples (from its spool).
    const fromKilled = readPairsSync(path.join(out, runId!, 'samples.ndjson')).filter((p) => p.iteration % N === 2);
    expect(fromKilled.length).toBe(spooled);
    expect(fromKilled.length).toBeLessThan(30);
    expect(merged.samples.pairs).toBe(90 + fromKilled.length);
    expect(merged.summaries.reduce((a, s) => a + s.baseline.count, 0)).toBe(merged.samples.pairs);
  });
});
