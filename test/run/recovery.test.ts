import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { outputFs } from '../../harness/output/fs.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { convertSpool, SampleSpool, SPOOL_SUFFIX } from '../../harness/run/sample-spool.ts';
import { ensureSamples } from '../../harness/run/samples-file.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { pairs as makePairs, tempDir } from '../helpers/gates.ts';
import { spooledPairs } from '../helpers/spool.ts';

/**
 * Issue 11, point 3: measured data is never lost. A run killed outright (SIGKILL), stopped by a
 * double Ctrl-C, or killed while it writes its results leaves its spool; `parity gate` and
 * `parity report` recover every pair in it, mark the run incomplete, fire onInconclusive, never onPass.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('the spool is the source of truth until a complete samples file exists', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a partial samples.ndjson beside the spool (a kill during the final write) is rebuilt from the spool', async () => {
    const file = path.join(tempDir(), 'samples.ndjson');
    const spool = new SampleSpool(file);
    const ps: PairedSample[] = makePairs(50, () => ({}), () => ({}));
    for (const p of ps) spool.write(p);
    await spool.close();
    // What a conversion cut short used to leave: the first lines of the file, the spool still there.
    writeFileSync(file, ps.slice(0, 7).map((p) => JSON.stringify(p)).join('\n') + '\n{"requestId":"r7","sce');
    await ensureSamples(file);
    expect(lines(file).map((l) => (JSON.parse(l) as PairedSample).requestId)).toEqual(ps.map((p) => p.requestId));
    expect(existsSync(file + SPOOL_SUFFIX)).toBe(false);
  });

  it('a conversion that fails leaves no samples file and keeps the spool', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'samples.ndjson');
    const spool = new SampleSpool(file);
    for (const p of makePairs(20, () => ({}), () => ({}))) spool.write(p);
    await spool.close();
    vi.spyOn(outputFs, 'rename').mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await expect(convertSpool(file)).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(dir).sort()).toEqual(['samples.ndjson.spool']);
    await ensureSamples(file);
    expect(lines(file)).toHaveLength(20);
  });

  it('a run on worker threads killed mid-run: its part spools are converted and joined', async () => {
    const file = path.join(tempDir(), 'samples.ndjson');
    const all = makePairs(30, () => ({}), () => ({}));
    for (const [i, part] of [all.slice(0, 10), all.slice(10, 30)].entries()) {
      const s = new SampleSpool(`${file}.${i}`);
      for (const p of part) s.write(p);
      await s.close();
    }
    await ensureSamples(file);
    expect(lines(file)).toHaveLength(30);
    expect(readdirSync(path.dirname(file))).toEqual(['samples.ndjson']);
  });
});

describe('a killed run is recovered by parity gate and parity report', () => {
  let proc: FixtureProcess;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 10, interEventGapMs: 5 },
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 10, interEventGapMs: 5 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  async function killedRun(runId: string, kill: (child: ReturnType<typeof spawn>) => void) {
    const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);
    const [base, cand] = proc.fixtures;
    const config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: base!.url, candidateUrl: cand!.url, promptsFile: ws.promptsFile, load: { vus: 4, duration: '60s', iterations: undefined } })));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', config, '--out', ws.out, '--run-id', runId, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const samples = path.join(ws.out, runId, 'samples.ndjson');
    const deadline = Date.now() + 30_000;
    while (spooledPairs(samples) < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const before = spooledPairs(samples);
    expect(before).toBeGreaterThanOrEqual(40);
    kill(child);
    const code = await exited;
    const promoted = path.join(ws.dir, 'promoted');
    const held = path.join(ws.dir, 'held');
    const mark = (file: string) => `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(file)}]`;
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: ${mark(promoted)}\n  onInconclusive:\n    exec: ${mark(held)}\n`);
    return { ws, code, before, runJson: path.join(ws.out, runId, 'run.json'), samples, policy, promoted, held };
  }

  async function expectRecovered(k: Awaited<ReturnType<typeof killedRun>>, mustRecover = true) {
    const gate = await runCli(['gate', k.runJson, '--policy', k.policy]);
    expect(gate.code, gate.stdout + gate.stderr).toBe(2);
    if (mustRecover) expect(gate.stderr).toMatch(/did not finish; \d+ measured pairs recovered from its samples spool/);
    const run = JSON.parse(readFileSync(k.runJson, 'utf8')) as RunResult;
    const n = lines(k.samples).length;
    // Every pair on disk when the process died is judged: none lost, none made up.
    expect(n).toBeGreaterThanOrEqual(k.before);
    expect(run.samples.pairs).toBe(n);
    expect(run.summaries[0]!.candidate.count).toBe(n);
    expect(run.summaries[0]!.baseline.count).toBe(n);
    expect(run.complete).toBe(false);
    if (mustRecover) expect(run.incompleteReason).toMatch(new RegExp(`; ${n} measured pairs recovered from the samples spool$`));
    expect(run.verdict!.status).toBe('inconclusive');
    expect(run.verdict!.reasons.join('\n')).toMatch(/run incomplete/);
    expect(existsSync(k.promoted)).toBe(false);
    expect(readFileSync(k.held, 'utf8')).toBe('inconclusive');
    expect(existsSync(k.samples + SPOOL_SUFFIX)).toBe(false);
    // The report shows the recovered streams, and re-rendering changes nothing.
    const md = readFileSync(path.join(path.dirname(k.runJson), 'summary.md'), 'utf8');
    expect(md).toMatch(/INCONCLUSIVE/);
    const report = await runCli(['report', k.runJson]);
    expect(report.code).toBe(0);
    expect(readFileSync(path.join(path.dirname(k.runJson), 'summary.md'), 'utf8')).toBe(md);
    return run;
  }

  it('SIGKILL: gate recovers every spooled pair, the run is incomplete, onInconclusive fires, never onPass', async () => {
    const k = await killedRun('sigkill', (c) => c.kill('SIGKILL'));
    expect(k.code).toBe(null);
    const first = JSON.parse(readFileSync(k.runJson, 'utf8')) as RunResult;
    expect([first.incompleteReason, first.samples.pairs]).toEqual(['running', 0]);
    const run = await expectRecovered(k);
    expect(run.incompleteReason).toMatch(/^killed before it finished;/);
  });

  it('parity report alone recovers a killed run too', async () => {
    const k = await killedRun('report-only', (c) => c.kill('SIGKILL'));
    const report = await runCli(['report', k.runJson, '--format', 'md']);
    expect(report.code, report.stderr).toBe(0);
    const run = JSON.parse(readFileSync(k.runJson, 'utf8')) as RunResult;
    expect(run.samples.pairs).toBe(lines(k.samples).length);
    expect(run.samples.pairs).toBeGreaterThanOrEqual(k.before);
    expect(readFileSync(path.join(path.dirname(k.runJson), 'summary.md'), 'utf8')).toMatch(new RegExp(`${run.samples.pairs} measured pairs recovered`));
  });

  it('double Ctrl-C: exits 2 at once; gate judges every pair as an incomplete run', async () => {
    const k = await killedRun('double-sigint', (c) => {
      c.kill('SIGINT');
      // The second Ctrl-C as soon as the first is acknowledged: while run.json is being finished.
      c.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('interrupted')) c.kill('SIGINT');
      });
    });
    expect(k.code).toBe(2);
    // Whether the second Ctrl-C cut the finishing short (then the spool is recovered) or came just
    // after it, every pair is judged and the verdict is inconclusive.
    await expectRecovered(k, false);
  });
});
