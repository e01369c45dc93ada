import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../../harness/sweep/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * A sweep judges each target on its own. Both fixtures answer 40% of their streams with a fast
 * 503 (the rest quickly): a latency SLO over the streams that have a first content never sees the
 * 503s, and the failed-requests guard compared each target with the other one, which fails as
 * often. So both "passed" every step and the candidate's capacity gate passed, for a backend
 * that fails 40% of its requests at every rate.
 */
describe('parity sweep: a target failing 40% of its streams is never within its SLO', () => {
  let proc: FixtureProcess;
  let res: { code: number; stdout: string; stderr: string };
  let sweep: SweepResult;
  beforeAll(async () => {
    const stream = { framing: 'named-events', tokens: 2, interEventGapMs: 5, faults: { httpError: 0.4 } } as const;
    proc = await startFixtureProcess([stream, stream]);
    const ws = tempWorkspace([{ text: 'q' }]);
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile })));
    const policy = path.join(ws.dir, 'capacity.json');
    writeFileSync(
      policy,
      JSON.stringify({
        minSamples: 20,
        gates: [
          { metric: 'first_content.p95', threshold: '<= 1500ms' },
          { name: 'capacity-floor', metric: 'capacity', threshold: '>= 10' },
        ],
      }),
    );
    res = await runCli(['sweep', ws.configFile, '--from', '20', '--to', '30', '--steps', '2', '--duration', '3s', '--policy', policy, '--out', ws.out, '--sweep-id', 'sw', '--quiet']);
    sweep = JSON.parse(readFileSync(path.join(ws.out, 'sw', 'sweep.json'), 'utf8')) as SweepResult;
  }, 120_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('no step passes for either target, and the capacity gate does not pass (exit not 0)', () => {
    const statuses = sweep.steps.map((s) => [s.rate, s.baseline.status, s.candidate.status, s.candidate.errorRate]);
    for (const s of sweep.steps) {
      expect(s.candidate.errorRate, JSON.stringify(statuses)).toBeGreaterThan(0.3);
      expect(s.candidate.status, JSON.stringify(statuses)).not.toBe('pass');
      expect(s.baseline.status, JSON.stringify(statuses)).not.toBe('pass');
    }
    expect(sweep.gates[0]!.status).not.toBe('pass');
    expect(res.code, res.stdout + res.stderr).not.toBe(0);
  });
});
