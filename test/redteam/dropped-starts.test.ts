import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * An arrival-rate run whose candidate freezes for 3 s of its 6: the few pairs in flight wait the
 * freeze out, `maxInFlight` fills, and every start scheduled during the freeze is dropped, never
 * measured. The gates judged the pairs that were started (a handful slow among ~130 fast: completion.p90 within 2x) and
 * passed a candidate that answered nothing for half the run.
 */
describe('dropped starts: the load the plan asked for was not offered', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q' }]);
  const policy = path.join(ws.dir, 'policy.json');
  beforeAll(async () => {
    const stream = { framing: 'named-events', tokens: 2, interEventGapMs: 5 } as const;
    proc = await startFixtureProcess([stream, { ...stream, freeze: { afterMs: 1500, forMs: 3000 } }]);
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile });
    cfg.load = { model: 'constant-arrival-rate', rate: 40, duration: '6s', maxInFlight: 4, timeouts: { firstEvent: '10s', idle: '10s', total: '20s' } };
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    writeFileSync(policy, JSON.stringify({ minSamples: 50, gates: [{ metric: 'completion.p90', threshold: '<= 2x baseline' }] }));
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('a run with dropped starts is not a pass (unless a dropped_iterations gate judges them)', async () => {
    const r = await runCli(['run', ws.configFile, '--policy', policy, '--out', ws.out, '--run-id', 'frozen', '--quiet']);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'frozen', 'run.json'), 'utf8')));
    expect(run.load.dropped, 'the freeze must have dropped starts').toBeGreaterThan(40);
    expect(run.verdict!.status, run.verdict!.reasons.join('\n')).not.toBe('pass');
    expect(r.code).not.toBe(0);
    expect(run.verdict!.reasons.join('\n')).toMatch(/dropped/);
    // Gated explicitly, the dropped starts are judged by that gate, like any other evidence.
    writeFileSync(policy, JSON.stringify({ minSamples: 50, gates: [{ metric: 'completion.p90', threshold: '<= 2x baseline' }, { metric: 'dropped_iterations', threshold: '<= 0' }] }));
    const g = await runCli(['gate', path.join(ws.out, 'frozen', 'run.json'), '--policy', policy, '--dry-run']);
    expect(g.code).toBe(1);
  }, 60_000);

  it('starts dropped during the warm-up only do not block: the warm-up is there to absorb them', async () => {
    const stream = { framing: 'named-events', tokens: 2, interEventGapMs: 5 } as const;
    const cold = await startFixtureProcess([stream, { ...stream, freeze: { afterMs: 100, forMs: 1000 } }]);
    try {
      const cfg = streamConfig({ baselineUrl: cold.fixtures[0]!.url, candidateUrl: cold.fixtures[1]!.url, promptsFile: ws.promptsFile });
      cfg.load = { model: 'constant-arrival-rate', rate: 40, duration: '5s', warmup: '2500ms', maxInFlight: 4, timeouts: { firstEvent: '10s', idle: '10s', total: '20s' } };
      const file = path.join(ws.dir, 'cold.json');
      writeFileSync(file, JSON.stringify(cfg));
      writeFileSync(policy, JSON.stringify({ minSamples: 50, gates: [{ metric: 'completion.p90', threshold: '<= 2x baseline' }] }));
      await runCli(['run', file, '--policy', policy, '--out', ws.out, '--run-id', 'cold', '--quiet']);
      const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'cold', 'run.json'), 'utf8')));
      expect(run.load.dropped, 'the freeze must have dropped starts in the warm-up').toBeGreaterThan(10);
      expect(run.summaries[0]!.candidate.dropped).toBe(0);
      expect(run.verdict!.reasons.join('\n')).not.toMatch(/dropped/);
    } finally {
      await cold.close();
    }
  }, 60_000);
});
