import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair, type GatePair } from '../../harness/gates/metrics.ts';
import { readRunWithPairs } from '../../harness/run/read.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { pairs as synthetic, policyOf, runOf } from '../helpers/gates.ts';

/**
 * A candidate that ends every answer early with a normal terminal event (a max_tokens set lower in
 * the new stack, a streaming bug that stops after the first paragraph) is faster on every latency:
 * `completion.p95 <= 1.2x baseline` passes it. The answer's length is what shows it:
 * `content_chars.*` (code points per completed stream) and `output_tokens.*`.
 * Fixture answers: 8 tokens of "tokN " (40 characters) against 2 (10 characters).
 */
const NOW = new Date(0);
const PAIRS = 120;
// 20 ms between events: 8 tokens take ~160 ms, 2 take ~40 ms, so the short answers are faster beyond any scheduling noise.
const shape = { framing: 'named-events', interEventGapMs: 20 } as const;

describe("the answer's length: content_chars and output_tokens", () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'tell me about refunds', expectsCitations: false }]);
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { ...shape, tokens: 8, seed: 1 },
      { ...shape, tokens: 8, seed: 2 },
      { ...shape, tokens: 2, seed: 3 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  async function stored(candidateUrl: string, runId: string): Promise<{ run: RunResult; pairs: GatePair[] }> {
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl, promptsFile: ws.promptsFile, load: { vus: 20, iterations: PAIRS } });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out, runId });
    return readRunWithPairs(out.runJson, gatePair);
  }
  const gates = [
    { metric: 'completion.p95', threshold: '<= 1.2x baseline' },
    { metric: 'content_chars.p50', threshold: '>= 0.8x baseline' },
    { metric: 'output_tokens.p50', threshold: '>= 0.8x baseline' },
  ];

  it('a candidate answering a quarter of the text: faster, so completion passes; both lengths fail, measured as the fixture sends them', async () => {
    const { run, pairs } = await stored(proc.fixtures[2]!.url, 'short');
    expect(pairs).toHaveLength(PAIRS);
    expect(pairs.every((p) => p.baseline.outcome === 'complete' && p.candidate.outcome === 'complete')).toBe(true);
    const v = evaluatePolicy(await policyOf(gates, { minSamples: 50 }), run, pairs, NOW);
    const by = Object.fromEntries(v.gates.map((g) => [g.metric, g]));
    expect(by['completion.p95']!.status, by['completion.p95']!.reason).toBe('pass');
    expect(by['content_chars.p50']).toMatchObject({ status: 'fail', observed: { baseline: 40, candidate: 10 }, value: 0.25, unit: 'ratio' });
    expect(by['output_tokens.p50']).toMatchObject({ status: 'fail', observed: { baseline: 8, candidate: 2 } });
    expect(v.status).toBe('fail');
  });

  it('the same answers: both lengths pass; an absolute limit reads in characters', async () => {
    const { run, pairs } = await stored(proc.fixtures[1]!.url, 'same');
    const v = evaluatePolicy(await policyOf([...gates, { metric: 'content_chars.p50', threshold: '>= 30' }], { minSamples: 50 }), run, pairs, NOW);
    expect(v.gates.filter((g) => g.metric.startsWith('content_chars') || g.metric.startsWith('output_tokens')).map((g) => g.status)).toEqual(['pass', 'pass', 'pass']);
    expect(v.gates.find((g) => g.metric === 'content_chars.p50' && g.comparison === 'absolute')!.reason).toMatch(/candidate 40 chars, .* entirely within >= 30 chars/);
  });

  it('a length gate reads completed streams only, so it cannot pass a candidate that fails, stalls or reads nothing', async () => {
    const policy = await policyOf([{ metric: 'content_chars.p50', threshold: '>= 0.8x baseline' }], { minSamples: 50 });
    // Half the candidate's streams stall: the survivors are as long as the baseline's and the length gate passes; the failed-requests guard does not.
    const stalls = synthetic(400, () => ({}), (i) => (i % 2 ? { outcome: 'stalled', completionMs: undefined } : {}));
    const v = evaluatePolicy(policy, runOf(stalls), stalls.map(gatePair), NOW);
    expect(v.gates.find((g) => g.metric === 'content_chars.p50')!.status).toBe('pass');
    expect(v.gates.find((g) => g.id === 'failed-requests')!.status).toBe('fail');
    expect(v.status).toBe('fail');
    // A profile that reads no content: every stream is `empty` (an error), none counts toward the length: no data, and the guard fails.
    const empty = synthetic(400, () => ({}), () => ({ outcome: 'empty', contentChars: 0, contentChunks: 0, firstContentMs: undefined, completionMs: undefined }));
    const w = evaluatePolicy(policy, runOf(empty), empty.map(gatePair), NOW);
    expect(w.gates.find((g) => g.metric === 'content_chars.p50')!.status).toBe('inconclusive');
    expect(w.status).toBe('fail');
  });

  it('an upper bound on a length is backwards (a shorter answer would pass it): refused', async () => {
    const err = await policyOf([{ metric: 'content_chars.p50', threshold: '<= 1.2x baseline' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.message).toMatch(/"content_chars\.p50" is better when higher[\s\S]*">= 1\.2x baseline"/);
  });
});
