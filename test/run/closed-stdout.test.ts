import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `parity run ... | head`: the reader of stdout goes away while parity still writes (progress,
 * the summary, the verdict). Unguarded, the first write after that crashed the process with an
 * unhandled EPIPE: after run.json, before the verdict, the reports and the hooks (exit 1, the
 * code for a failed candidate, with no verdict anywhere).
 */
describe('a closed stdout', () => {
  let proc: FixtureProcess;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 2 },
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 2 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('drops the output; the run, its verdict, reports and hook go on, exit code the verdict’s', async () => {
    const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);
    const [base, cand] = proc.fixtures;
    const config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: base!.url, candidateUrl: cand!.url, promptsFile: ws.promptsFile, load: { vus: 4, iterations: 60 } })));
    const promoted = path.join(ws.dir, 'promoted');
    const mark = `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(promoted)}]`;
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: ${mark}\n`);

    // Not --quiet: progress, the summary and the verdict all go to stdout, which nobody reads.
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', config, '--policy', policy, '--out', ws.out, '--run-id', 'closed'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    expect(err).not.toMatch(/Unhandled 'error' event|PARITY_HARNESS_ERROR/);
    expect(err).toMatch(/parity: stdout closed \(EPIPE\): its further output is dropped; the run goes on/);
    expect(code, err).toBe(0);
    const dir = path.join(ws.out, 'closed');
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunResult;
    expect(run.complete).toBe(true);
    expect(run.verdict!.status).toBe('pass');
    for (const f of ['report.html', 'summary.md', 'junit.xml']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(readFileSync(promoted, 'utf8')).toBe('pass');
  }, 60_000);
});
