import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../harness/errors.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';

/** Exit 4 "verdict reached, hook failed", and warn-only policies (report, never decide). */
describe('exit codes after the verdict', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  let config: string;
  const policy = (name: string, body: string) => {
    const file = path.join(ws.dir, `${name}.yaml`);
    writeFileSync(file, body);
    return file;
  };
  const runJsonOf = (out: string) => JSON.parse(readFileSync(/run\.json: (.*)/.exec(out)![1]!.trim(), 'utf8')) as RunResult;
  const exitWith = (code: number) => `[${JSON.stringify(process.execPath)}, -e, "process.exit(${code})"]`;

  beforeAll(async () => {
    // The candidate resets half its streams: error_rate <= 1% fails on 40 pairs.
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 2, interEventGapMs: 1 },
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 2, interEventGapMs: 1, faults: { reset: 0.5 } },
    ]);
    const [base, cand] = proc.fixtures as [FixtureHandle, FixtureHandle];
    config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: base.url, candidateUrl: cand.url, promptsFile: ws.promptsFile, load: { vus: 5, iterations: 40 } })));
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('a failing onFail hook: exit 4, the verdict (fail) still printed and recorded with the hook result', async () => {
    const p = policy('rollback-breaks', `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onFail:\n    exec: ${exitWith(7)}\n`);
    const r = await runCli(['run', config, '--policy', p, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(ExitCode.hookFailed);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/verdict: FAIL \(policy rollback-breaks\)/);
    expect(r.stderr).toMatch(/1 hook failed/);
    expect(r.stderr).toMatch(/exit 4: verdict fail reached and recorded, but its hooks failed/);
    const run = runJsonOf(r.stdout);
    expect(run.verdict).toMatchObject({ status: 'fail', policy: 'rollback-breaks' });
    expect(run.hooks).toMatchObject([{ on: 'fail', kind: 'exec', ok: false, exitCode: 7 }]);
    // The same policy with a hook that works: the verdict's own exit code.
    const ok = policy('rollback-works', `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onFail:\n    exec: ${exitWith(0)}\n`);
    const r2 = await runCli(['gate', /run\.json: (.*)/.exec(r.stdout)![1]!.trim(), '--policy', ok], {});
    expect(r2.code, r2.stderr).toBe(ExitCode.fail);
  });

  it('a warn-only policy reports and never decides: verdict inconclusive with the reason, no hook fires, exit 0', async () => {
    const p = policy('watch', `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 1%", severity: warn }\nhooks:\n  onFail:\n    exec: ${exitWith(7)}\n  onInconclusive:\n    exec: ${exitWith(7)}\n`);
    const r = await runCli(['run', config, '--policy', p, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(ExitCode.pass);
    const run = runJsonOf(r.stdout);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(run.verdict!.reasons[0]).toMatch(/warn-only policy/);
    expect(run.verdict!.gates[0]).toMatchObject({ severity: 'warn', status: 'fail' });
    expect(run.hooks ?? []).toEqual([]);
  });
});
