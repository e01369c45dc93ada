import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatFixtureOptions } from '../../fixtures/backends/chat-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { loadPolicy, type LoadedPolicy } from '../../harness/gates/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { Verdict } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * The Stage B preset (seed 000: p95 <= 1.20x, interruption delta <= +0.5pp, citation presence
 * delta >= -2pp) against real fixture backends over real sockets. All fixtures live in one child
 * process. Streams are long and few per second, so the harness spends little CPU per stream: on a
 * shared 2-core machine, short busy streams make the measured latency mostly queueing, which would
 * dilute a 30% slower backend into a smaller measured ratio.
 */
const RUNS = 20;
const PAIRS = 300;
const shape = { framing: 'named-events', tokens: 2, firstContentDelayMs: 150, interEventGapMs: 10 } as const;
// Identical backends, with a little of every fault both sides share, seeded differently per run.
const same = (seed: number): ChatFixtureOptions => ({ ...shape, seed, faults: { reset: 0.01, errorEvent: 0.01, citationDrop: 0.01 } });
const FAIL_CASES = {
  // 30% slower: completion = first content + 5 gaps = 1000 ms vs 1300 ms.
  slower: [
    { framing: 'named-events', tokens: 4, firstContentDelayMs: 900, interEventGapMs: 20, seed: 1 },
    { framing: 'named-events', tokens: 4, firstContentDelayMs: 1170, interEventGapMs: 26, seed: 2 },
  ],
  interruptions: [{ ...shape, seed: 3 }, { ...shape, seed: 4, faults: { reset: 0.03 } }],
  citations: [{ ...shape, seed: 5 }, { ...shape, seed: 6, faults: { citationDrop: 0.05 } }],
} satisfies Record<string, ChatFixtureOptions[]>;

describe('seed 000 Stage B preset against fixture backends', () => {
  let proc: FixtureProcess;
  let fixtures: FixtureHandle[];
  let policy: LoadedPolicy;
  const ws = tempWorkspace([{ text: 'what does the handbook say about refunds?', expectsCitations: true }]);

  beforeAll(async () => {
    const opts: ChatFixtureOptions[] = [];
    for (let r = 0; r < RUNS; r++) opts.push(same(1000 + 2 * r), same(1001 + 2 * r));
    opts.push(...Object.values(FAIL_CASES).flat());
    proc = await startFixtureProcess(opts);
    fixtures = proc.fixtures;
    policy = await loadPolicy('seed-000-stage-b');
  });
  afterAll(async () => {
    await proc?.close();
  });

  async function run(base: FixtureHandle, cand: FixtureHandle, iterations: number, runId: string): Promise<Verdict> {
    const cfg = streamConfig({
      baselineUrl: base.url,
      candidateUrl: cand.url,
      promptsFile: ws.promptsFile,
      load: { vus: 150, iterations, rampUp: '300ms', timeouts: { idle: '3s', total: '10s' } },
    });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out, runId });
    expect(out.result.complete).toBe(true);
    expect(out.pairs).toHaveLength(iterations);
    return evaluatePolicy(policy, out.result, out.pairs);
  }

  it(`identical backends: ${RUNS} seeded runs of ${PAIRS} paired streams never fail`, async () => {
    const verdicts: Verdict[] = [];
    for (let r = 0; r < RUNS; r++) verdicts.push(await run(fixtures[2 * r]!, fixtures[2 * r + 1]!, PAIRS, `same-${r}`));
    const statuses = verdicts.map((v) => v.status);
    expect(statuses.filter((s) => s === 'fail'), JSON.stringify(verdicts.flatMap((v) => v.reasons))).toEqual([]);
    for (const v of verdicts) {
      expect(v.gates.map((g) => g.id)).toEqual(['p95-latency-ratio', 'interruption-delta', 'citation-presence-delta', 'user-visible-errors', 'failed-requests', 'failed-requests@citations']);
      // Both sides fail the same streams: the failed-requests guard has nothing to hold against the candidate.
      expect(v.gates[4]!.status, v.gates[4]!.reason).toBe('pass');
      // Both sides get exactly 2 interruptions per 100 streams: the measured delta is 0.
      expect(v.gates[1]!.value, v.gates[1]!.reason).toBeCloseTo(0, 9);
    }
    // Not inconclusive by default: with 300 pairs the latency interval is narrow enough to show
    // 1.2x is not reached in (nearly) every run, and the citation delta too.
    const passes = (i: number) => verdicts.filter((v) => v.gates[i]!.status === 'pass').length;
    const show = (i: number) => verdicts.map((v) => v.gates[i]!.reason).join('\n');
    expect(passes(0), show(0)).toBeGreaterThanOrEqual(RUNS - 2);
    expect(passes(2), show(2)).toBeGreaterThanOrEqual(RUNS - 2);
    // 300 streams cannot show a 2% interruption rate is within +0.5pp of another 2%: the honest
    // answer is inconclusive (about 4 500 pairs would be needed), never a pass on too little data.
    expect(verdicts.every((v) => v.gates[1]!.status === 'inconclusive')).toBe(true);
    expect(verdicts.every((v) => v.status === 'inconclusive')).toBe(true);
  });

  const failCase = (name: keyof typeof FAIL_CASES) => {
    const i = 2 * RUNS + 2 * Object.keys(FAIL_CASES).indexOf(name);
    return run(fixtures[i]!, fixtures[i + 1]!, PAIRS, name);
  };

  it('a candidate 30% slower fails, naming the latency gate', async () => {
    const v = await failCase('slower');
    expect(v.status).toBe('fail');
    expect(v.gates.filter((g) => g.status === 'fail').map((g) => g.id)).toEqual(['p95-latency-ratio']);
    const g = v.gates[0]!;
    expect(g.value).toBeGreaterThan(1.2);
    expect(g.interval!.low).toBeGreaterThan(1.2);
    expect(v.reasons[0]).toMatch(/^FAIL p95-latency-ratio: candidate\/baseline 1\.\d+x, 90% CI \[.*\] entirely beyond <= 1\.2x/);
  });

  it('a candidate with +3pp interruptions fails, naming the interruption and error gates', async () => {
    const v = await failCase('interruptions');
    expect(v.status).toBe('fail');
    expect(v.gates.filter((g) => g.status === 'fail').map((g) => g.id)).toEqual(['interruption-delta', 'user-visible-errors', 'failed-requests', 'failed-requests@citations']);
    expect(v.gates[1]!.value).toBeCloseTo(3, 9);
    expect(v.reasons[0]).toMatch(/^FAIL interruption-delta: candidate − baseline \+3 pp/);
  });

  it('a candidate with −5pp citation presence fails, naming the citation gate', async () => {
    const v = await failCase('citations');
    expect(v.status).toBe('fail');
    expect(v.gates.filter((g) => g.status === 'fail').map((g) => g.id)).toEqual(['citation-presence-delta']);
    expect(v.gates[2]!.value).toBeCloseTo(-5, 9);
  });
});
