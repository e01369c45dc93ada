import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

describe('timings agree with the fixture delays at 50 concurrent streams', () => {
  let proc: FixtureProcess;
  let base: FixtureHandle;
  let cand: FixtureHandle;
  let out: RunOutput;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 10, firstContentDelayMs: 60, interEventGapMs: 15 },
      // OpenAI framing with a role-only first chunk: first content must still be the delayed token.
      { framing: 'openai', streamPath: '/chat/stream', tokens: 10, firstContentDelayMs: 120, interEventGapMs: 25, roleChunk: true },
    ]);
    [base, cand] = proc.fixtures as [FixtureHandle, FixtureHandle];
    const ws = tempWorkspace();
    const cfg = streamConfig({
      baselineUrl: base.url,
      candidateUrl: cand.url,
      candidatePath: '/chat/stream',
      promptsFile: ws.promptsFile,
      candidateStream: 'openai',
      load: { vus: 50, iterations: 250, rampUp: '1s' },
    });
    out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
  });
  afterAll(async () => {
    await proc?.close();
  });

  // The fixture starts its first-content delay when it flushes the headers, so the delay shows up
  // as first content minus headers; the headers time itself is the server's queueing under the
  // 50-stream burst (connection setup included), which the harness reports separately.
  const afterHeaders = (s: { firstContentMs?: number; headersMs?: number }) => s.firstContentMs! - s.headersMs!;
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

  it('time to first content is the configured delay within 5 ms', () => {
    const { baseline, candidate } = out.result.summaries[0]!;
    expect(baseline.outcomes.complete).toBe(250);
    expect(candidate.outcomes.complete).toBe(250);
    expect(Math.abs(median(out.pairs.map((p) => afterHeaders(p.baseline))) - 60)).toBeLessThanOrEqual(5);
    expect(Math.abs(median(out.pairs.map((p) => afterHeaders(p.candidate))) - 120)).toBeLessThanOrEqual(5);
    // The summary's own p50 is first content from the request's intended start: the delay plus the
    // dispatch lag and the headers' queueing, which a busy machine lengthens (5.9 ms over the delay
    // in one fresh-clone run): it agrees with the delay once those (their median) are allowed for.
    const queued = (side: 'baseline' | 'candidate') => median(out.pairs.map((p) => p[side].headersMs! + (p[side].dispatchLagMs ?? 0)));
    expect(baseline.firstContentMs!.p50 - 60).toBeGreaterThanOrEqual(-1);
    expect(candidate.firstContentMs!.p50 - 120).toBeGreaterThanOrEqual(-1);
    expect(baseline.firstContentMs!.p50 - 60).toBeLessThanOrEqual(queued('baseline') + 5);
    expect(candidate.firstContentMs!.p50 - 120).toBeLessThanOrEqual(queued('candidate') + 5);
    // And no stream's first content comes before the configured delay.
    expect(baseline.firstContentMs!.min).toBeGreaterThanOrEqual(59);
    expect(candidate.firstContentMs!.min).toBeGreaterThanOrEqual(119);
  });

  it('mean gap between events is the configured gap within 5 ms', () => {
    const { baseline } = out.result.summaries[0]!;
    expect(Math.abs(baseline.gapMs!.mean - 15)).toBeLessThanOrEqual(5);
    // The role chunk and the first token leave together; the gap before the token is ~0.
    const tokenGaps = out.pairs.flatMap((p) => p.candidate.gapsMs.slice(1));
    expect(Math.abs(tokenGaps.reduce((a, b) => a + b, 0) / tokenGaps.length - 25)).toBeLessThanOrEqual(5);
  });

  it('completion = first content + gaps, per stream', () => {
    for (const p of out.pairs) {
      const s = p.baseline;
      const sumGaps = s.gapsMs.reduce((a, b) => a + b, 0);
      expect(Math.abs(s.completionMs! - (s.firstEventMs! + sumGaps))).toBeLessThan(0.5);
    }
  });
});
