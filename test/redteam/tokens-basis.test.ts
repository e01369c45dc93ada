import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * The baseline sends no token count (estimated: one token per content event), the candidate sends
 * its usage (4 tokens per event) and is 2.5x slower per event. tpot and output tokens/s compared
 * across the two sides compared an estimate with a count: the candidate's tpot came out about half
 * the baseline's and `tpot.p95 <= 1.2x baseline` passed. A ratio or delta between the two has no
 * common unit: no data, never a pass.
 */
describe('tpot and output tokens/s: a counted side is never compared with an estimated one', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q' }]);
  const policy = path.join(ws.dir, 'policy.json');
  beforeAll(async () => {
    const base = { framing: 'named-events', tokens: 8, interEventGapMs: 10 } as const;
    proc = await startFixtureProcess([base, { ...base, interEventGapMs: 25, usage: true, tokensPerEvent: 4 }]);
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { vus: 6, iterations: 120 } })));
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('tpot.p95 <= 1.2x baseline and output_tokens_per_sec.p50 >= 0.9x baseline: not a pass, the reason says why', async () => {
    writeFileSync(
      policy,
      JSON.stringify({
        minSamples: 50,
        gates: [
          { metric: 'tpot.p95', threshold: '<= 1.2x baseline' },
          { metric: 'output_tokens_per_sec.p50', threshold: '>= 0.9x baseline or >= baseline - 5' },
          // An absolute limit reads each side on its own: still judged.
          { metric: 'itl.p95', threshold: '<= 2000ms' },
        ],
      }),
    );
    const r = await runCli(['run', ws.configFile, '--policy', policy, '--out', ws.out, '--run-id', 'tokens', '--quiet']);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'tokens', 'run.json'), 'utf8')));
    expect(run.summaries[0]!.baseline.outputTokens?.estimatedStreams).toBeGreaterThan(0);
    expect(run.summaries[0]!.candidate.outputTokens?.estimatedStreams).toBe(0);
    const v = run.verdict!;
    const gate = (id: string) => v.gates.find((g) => g.id === id)!;
    expect(v.status, v.reasons.join('\n')).not.toBe('pass');
    expect(r.code).not.toBe(0);
    for (const id of ['tpot.p95', 'output_tokens_per_sec.p50']) {
      expect(gate(id).status).toBe('inconclusive');
      expect(gate(id).reason).toMatch(/estimated .* counted|counted .* estimated/);
    }
    expect(gate('itl.p95').status).toBe('pass');
  }, 60_000);
});
