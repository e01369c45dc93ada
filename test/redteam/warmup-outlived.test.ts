import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * A closed run whose candidate freezes from 0.5 s to 4.5 s of a 7 s run with a 1.5 s warm-up: every
 * VU is caught in an iteration it started during the warm-up, and waits the freeze out there. Those
 * pairs were warm-up (started before 1.5 s) and left out; no VU started anything else until 4.5 s,
 * so the measured part held only the fast pairs after the freeze. The candidate answered nothing
 * for the first 3 s of the measured window and `completion.p99 <= 2x baseline` passed.
 */
describe('warm-up: an iteration started in the warm-up that outlives it', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q' }]);
  const policy = path.join(ws.dir, 'policy.json');
  beforeAll(async () => {
    const stream = { framing: 'named-events', tokens: 2, interEventGapMs: 10 } as const;
    proc = await startFixtureProcess([stream, { ...stream, freeze: { afterMs: 500, forMs: 4000 } }]);
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile });
    cfg.load = { vus: 2, duration: '7s', warmup: '1500ms', timeouts: { firstEvent: '10s', idle: '10s', total: '20s' } };
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    writeFileSync(policy, JSON.stringify({ minSamples: 30, gates: [{ metric: 'completion.p99', threshold: '<= 2x baseline' }] }));
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('is measured: the freeze it waited out inside the measured window is not hidden', async () => {
    const r = await runCli(['run', ws.configFile, '--policy', policy, '--out', ws.out, '--run-id', 'outlived', '--quiet']);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'outlived', 'run.json'), 'utf8')));
    expect(run.samples.pairs, 'enough fast pairs after the freeze to judge').toBeGreaterThan(30);
    expect(run.summaries[0]!.candidate.completionMs!.max, 'the frozen stream is among the measured ones').toBeGreaterThan(2500);
    expect(run.verdict!.status, run.verdict!.reasons.join('\n')).not.toBe('pass');
    expect(r.code).not.toBe(0);
  }, 60_000);
});
