import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantile } from 'simple-statistics';
import { Pool } from 'undici';
import { resolveConfig } from '../../harness/config/load.ts';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import type { StreamSample } from '../../harness/metrics/sample.ts';
import { probeStream } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';
import type { ServedStream } from '../../fixtures/backends/chat-backend.ts';
import { startScriptedServer } from '../helpers/chunked-server.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const GAP = 20;
const TOKENS = 12;
const N = 60;

/** The server's own view of a stream: mean gap between its content writes, and TPOT over the count it sent. */
function serverItl(s: ServedStream): number {
  const at = s.contentAt!;
  return (at[at.length - 1]! - at[0]!) / (at.length - 1);
}

describe('tokens, ITL and TPOT against a fixture with a known per-token gap (server-side stamps)', () => {
  let proc: FixtureProcess;
  let out: RunOutput;
  let served: [ServedStream[], ServedStream[]];
  beforeAll(async () => {
    proc = await startFixtureProcess([
      // Baseline: OpenAI chunks, one token per event, usage and finish_reason in the last write.
      { framing: 'openai', streamPath: '/chat/stream', tokens: TOKENS, interEventGapMs: GAP, usage: true, finishReasons: {}, tailWithLastToken: true, stampEvents: true },
      // Candidate: named events with no count at all: the estimate is used, and marked.
      { framing: 'named-events', tokens: TOKENS, interEventGapMs: GAP, tailWithLastToken: true, stampEvents: true },
    ]);
    const ws = tempWorkspace([{ text: 'q' }]);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      baselineStream: 'openai',
      baselinePath: '/chat/stream',
      load: { vus: 10, iterations: N },
    });
    out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
    served = [await proc.fixtures[0]!.served(), await proc.fixtures[1]!.served()];
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('counts the tokens the usage chunk sends, and marks the estimate when none is sent', () => {
    for (const p of out.pairs) {
      expect(p.baseline.outcome).toBe('complete');
      expect(p.baseline.outputTokens).toBe(TOKENS);
      expect(p.baseline.tokensEstimated).toBeUndefined();
      expect(p.baseline.finishReason).toBe('stop');
      expect(p.candidate.outputTokens).toBe(TOKENS);
      expect(p.candidate.tokensEstimated).toBe(true);
    }
    const s = out.result.summaries[0]!;
    expect(s.baseline.outputTokens).toEqual({ total: TOKENS * N, estimatedStreams: 0 });
    expect(s.candidate.outputTokens).toEqual({ total: TOKENS * N, estimatedStreams: N });
  });

  it('ITL p50 and TPOT p50 are within 1 ms of the gaps the server stamped, and near the scheduled gap', () => {
    for (const [role, i] of [['baseline', 0], ['candidate', 1]] as const) {
      const byId = new Map(served[i].map((s) => [s.requestId, s]));
      const client = out.pairs.map((p) => p[role]);
      const itl = client.map((s) => s.itlMs!);
      const tpot = client.map((s) => s.tpotMs!);
      const server = client.map((s) => serverItl(byId.get(s.requestId)!));
      const sp50 = quantile(server, 0.5);
      // Stream by stream against the server's own stamps of the same stream (paired: the machine's load cancels).
      expect(Math.abs(quantile(itl.map((v, k) => v - server[k]!), 0.5))).toBeLessThanOrEqual(1);
      // The last content event and the terminal share one write: completion − first content spans (tokens − 1) gaps.
      expect(Math.abs(quantile(tpot.map((v, k) => v - server[k]!), 0.5))).toBeLessThanOrEqual(1);
      // The fixture keeps its schedule: a timer fires late (by how much depends on how busy the machine is), never early.
      expect(sp50).toBeGreaterThanOrEqual(GAP - 0.5);
      const sum = out.result.summaries[0]![role];
      expect(sum.itlMs!.p50).toBeGreaterThanOrEqual(quantile(itl, 0.4));
      expect(sum.itlMs!.p50).toBeLessThanOrEqual(quantile(itl, 0.6));
      expect(sum.tpotMs!.count).toBe(N);
    }
  });

  it('output tokens per second follow from tokens and the span from first content to completion', () => {
    const tps = out.result.summaries[0]!.baseline.outputTokensPerSec!;
    const perStream = out.pairs.map((p) => (p.baseline.outputTokens! / (p.baseline.completionMs! - p.baseline.firstContentMs!)) * 1000);
    expect(tps.count).toBe(N);
    expect(tps.p50).toBeGreaterThanOrEqual(quantile(perStream, 0.4) * 0.999);
    expect(tps.p50).toBeLessThanOrEqual(quantile(perStream, 0.6) * 1.001);
    // Twelve tokens over eleven gaps of 20 ms: a Node timer may fire up to a millisecond early
    // (libuv's loop time is whole milliseconds), so a millisecond per gap is allowed.
    expect(tps.p50).toBeLessThanOrEqual((TOKENS / ((TOKENS - 1) * (GAP - 1))) * 1000);
    // Stream by stream against the span the server stamped (first to last content write): paired,
    // so the machine's load cancels. (A bound on the max over all streams read the worst late read
    // of a first event on a busy machine: 58.6 tokens/s against 57.4 once, under a full suite and
    // three other test runs.)
    const byId = new Map(served[0].map((x) => [x.requestId, x]));
    const rel = out.pairs.map((p) => {
      const at = byId.get(p.baseline.requestId)!.contentAt!;
      const server = (TOKENS / (at[at.length - 1]! - at[0]!)) * 1000;
      return Math.abs((p.baseline.outputTokens! / (p.baseline.completionMs! - p.baseline.firstContentMs!)) * 1000 - server) / server;
    });
    expect(quantile(rel, 0.5)).toBeLessThanOrEqual(0.02);
  });
});

describe('usage counts that differ from the number of content events', () => {
  let proc: FixtureProcess;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'typed-json', tokens: 6, usage: true, tokensPerEvent: 3, finishReasons: {} },
      { framing: 'openai', streamPath: '/chat/stream', tokens: 6, usage: true, tokensPerEvent: 4 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('takes the count the stream sends (typed-json terminal, OpenAI usage chunk), not the event count', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      baselineStream: 'typed-json',
      candidateStream: 'openai',
      candidatePath: '/chat/stream',
      load: { vus: 2, iterations: 4 },
    });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
    for (const p of out.pairs) {
      expect(p.baseline).toMatchObject({ outcome: 'complete', contentChunks: 6, outputTokens: 18, finishReason: 'stop' });
      expect(p.candidate).toMatchObject({ outcome: 'complete', contentChunks: 6, outputTokens: 24 });
      expect(p.baseline.tokensEstimated).toBeUndefined();
      expect(p.candidate.tokensEstimated).toBeUndefined();
    }
  });
});

/** Wilson score interval at 95%. */
function wilson95(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [c - h, c + h];
}

describe('finish_reason "length" on 5% of streams', () => {
  let proc: FixtureProcess;
  let out: RunOutput;
  let served: ServedStream[];
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, finishReasons: { length: 0.05 }, seed: 5 },
      { framing: 'openai', streamPath: '/chat/stream', tokens: 3, finishReasons: { length: 0.05 }, seed: 9 },
    ]);
    const ws = tempWorkspace([{ text: 'q' }]);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      candidateStream: 'openai',
      candidatePath: '/chat/stream',
      load: { vus: 20, iterations: 300 },
    });
    out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
    served = await proc.fixtures[1]!.served();
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('counts them as truncated, within the Wilson interval of 5%, as an interruption kind', () => {
    for (const role of ['baseline', 'candidate'] as const) {
      const s = out.result.summaries[0]![role];
      const [lo, hi] = wilson95(Math.round(0.05 * s.count), s.count);
      expect(s.count).toBe(300);
      expect(s.outcomeRates.truncated).toBeGreaterThanOrEqual(lo);
      expect(s.outcomeRates.truncated).toBeLessThanOrEqual(hi);
      expect(s.interruptionRate).toBe(s.outcomeRates.truncated);
      expect(s.errorRate).toBe(s.outcomeRates.truncated);
    }
  });

  it('truncates exactly the streams the server ended with "length"', () => {
    const byId = new Map(served.map((s) => [s.requestId, s.finishReason]));
    for (const p of out.pairs) {
      const sent = byId.get(p.candidate.requestId);
      expect(p.candidate.finishReason).toBe(sent);
      expect(p.candidate.outcome).toBe(sent === 'length' ? 'truncated' : 'complete');
      if (sent === 'length') expect(p.candidate.error?.code).toBe('PARITY_TRUNCATED');
    }
  });
});

describe('content characters are Unicode code points', () => {
  it('counts an emoji-heavy answer by code points, not UTF-16 units', async () => {
    const text = '👍🏽 ok 🚀🚀 ✨ 你好 👨‍👩‍👧';
    const server = await startScriptedServer(() => [
      { write: `data: ${JSON.stringify({ choices: [{ delta: { content: text.slice(0, 6) } }] })}\n\n` },
      { write: `data: ${JSON.stringify({ choices: [{ delta: { content: text.slice(6) } }] })}\n\n` },
      { write: 'data: [DONE]\n\n' },
    ]);
    const pool = new Pool(server.url);
    try {
      const profile = compileProfile(StreamProfile.parse(STREAM_PRESETS.openai));
      const r: StreamSample = await probeStream(
        pool,
        profile,
        { target: 't', role: 'baseline', scenario: 's', requestId: 'r', iteration: 0, vu: 0, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: '{}' },
        Timeouts.parse({}),
      );
      expect(r.outcome).toBe('complete');
      expect(r.contentChars).toBe([...text].length);
      expect(r.contentChars).toBeLessThan(text.length - 5);
    } finally {
      await pool.close();
      await server.close();
    }
  });
});
