import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { spooledPairs } from '../helpers/spool.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('a SIGINT-ed run fires no promote', () => {
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

  it('stops with exit 2, an incomplete run.json, a non-pass verdict, and onPass never run', async () => {
    const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);
    const [base, cand] = proc.fixtures;
    const config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: base!.url, candidateUrl: cand!.url, promptsFile: ws.promptsFile, load: { vus: 4, duration: '60s', iterations: undefined } })));
    const promoted = path.join(ws.dir, 'promoted');
    const held = path.join(ws.dir, 'held');
    const mark = (file: string) => `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(file)}]`;
    // Gates the measured part of the run easily meets: only the interruption keeps it from passing.
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: ${mark(promoted)}\n  onInconclusive:\n    exec: ${mark(held)}\n`);

    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', config, '--policy', policy, '--out', ws.out, '--run-id', 'sigint', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once a good number of pairs is on disk.
    const samples = path.join(ws.out, 'sigint', 'samples.ndjson');
    const deadline = Date.now() + 30_000;
    while (spooledPairs(samples) < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(spooledPairs(samples)).toBeGreaterThanOrEqual(40);
    child.kill('SIGINT');
    const code = await exited;

    expect(code, out).toBe(2);
    expect(out).toMatch(/interrupted: finishing run.json/);
    const run = JSON.parse(readFileSync(path.join(ws.out, 'sigint', 'run.json'), 'utf8')) as RunResult;
    expect(run.complete).toBe(false);
    // run.json says what ran it.
    expect(run.tool).toMatchObject({ name: 'parity', node: process.version });
    expect(run.incompleteReason).toBe('interrupted');
    expect(run.samples.pairs).toBeGreaterThanOrEqual(20);
    // Every gate (and the failed-requests guard) passes on what was measured; the interruption alone holds the verdict back.
    expect(run.verdict!.gates.map((g) => g.status)).toEqual(['pass', 'pass']);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(run.verdict!.reasons.join('\n')).toMatch(/run incomplete \(interrupted\)/);
    expect(existsSync(promoted)).toBe(false);
    expect(readFileSync(held, 'utf8')).toBe('inconclusive');
    expect(run.hooks!.map((h) => h.on)).toEqual(['inconclusive']);
  });
});
