import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import type { Outcome } from '../../harness/metrics/sample.ts';
import type { FaultKind } from '../../fixtures/backends/chat-backend.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const EXPECTED_OUTCOME: Partial<Record<FaultKind, Outcome>> = {
  none: 'complete',
  reset: 'reset',
  stall: 'stalled',
  error_event: 'error_event',
  http_error: 'http_error',
  no_terminal: 'no_terminal',
  malformed: 'malformed',
};

describe('measured rates match injected faults (400 paired streams)', () => {
  let proc: FixtureProcess;
  let base: FixtureHandle;
  let cand: FixtureHandle;
  let out: RunOutput;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', seed: 3, tokens: 6, interEventGapMs: 2 },
      {
        framing: 'typed-json',
        seed: 11,
        tokens: 6,
        interEventGapMs: 2,
        faults: { reset: 0.1, stall: 0.05, errorEvent: 0.05, citationDrop: 0.2 },
      },
    ]);
    [base, cand] = proc.fixtures as [FixtureHandle, FixtureHandle];
    const ws = tempWorkspace([{ text: 'rag question', expectsCitations: true }]);
    const cfg = streamConfig({
      baselineUrl: base.url,
      candidateUrl: cand.url,
      promptsFile: ws.promptsFile,
      candidateStream: 'typed-json',
      load: { vus: 40, iterations: 400, timeouts: { idle: '1s' } },
    });
    out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('measures each injected rate within ±3 percentage points', () => {
    const c = out.result.summaries[0]!.candidate;
    expect(c.count).toBe(400);
    expect(Math.abs(c.outcomeRates.reset! - 0.1)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(c.outcomeRates.stalled! - 0.05)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(c.outcomeRates.error_event! - 0.05)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(c.citations.presenceRate! - 0.8)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(c.interruptionRate - 0.2)).toBeLessThanOrEqual(0.03);
  });

  it('gives every stream the outcome that was injected into it', async () => {
    const served = new Map((await cand.served()).map((s) => [s.requestId, s]));
    expect(served.size).toBe(400);
    for (const p of out.pairs) {
      const injected = served.get(p.requestId);
      expect(injected, p.requestId).toBeDefined();
      expect(p.candidate.outcome, p.requestId).toBe(EXPECTED_OUTCOME[injected!.fault]);
      if (p.candidate.outcome === 'complete') expect(p.candidate.citations === 0, p.requestId).toBe(injected!.citationsDropped);
    }
  });

  it('leaves the clean baseline untouched', () => {
    const b = out.result.summaries[0]!.baseline;
    expect(b.outcomes.complete).toBe(400);
    expect(b.errorRate).toBe(0);
    expect(b.citations.presenceRate).toBe(1);
  });

  it('pairs both targets on one request id, sent in the same moment', () => {
    for (const p of out.pairs) expect(p.baseline.requestId).toBe(p.candidate.requestId);
    // Both requests are planned for one moment and dispatched in one tick. Each clock starts when
    // its own request is handed to its connection (test/probes/clock.test.ts), so a side that waits
    // for its connection (a connect, or the previous response still releasing it) carries that wait
    // in its dispatch lag, and its send time is the planned moment plus that lag.
    for (const p of out.pairs) {
      expect(p.baseline.intendedAt).toBe(p.candidate.intendedAt);
      for (const s of [p.baseline, p.candidate]) if (s.outcome !== 'connect_error') expect(Math.abs(s.startedAt - (s.intendedAt! + s.dispatchLagMs!))).toBeLessThan(0.01);
    }
  });
});

describe('HTTP errors, missing terminal events, malformed data and throughput are measured as injected', () => {
  let proc: FixtureProcess;
  let out: RunOutput;
  const tokens = 8;
  const gap = 25;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'openai', seed: 5, tokens, interEventGapMs: gap },
      { framing: 'openai', seed: 9, tokens, interEventGapMs: gap, faults: { httpError: 0.1, noTerminal: 0.05, malformed: 0.05 }, httpErrorStatus: 502 },
    ]);
    const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      baselineStream: 'openai',
      candidateStream: 'openai',
      load: { vus: 25, iterations: 200, rampUp: '200ms' },
    });
    out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('5xx, no_terminal and malformed rates are exact per 100 streams', () => {
    const c = out.result.summaries[0]!.candidate;
    expect(c.count).toBe(200);
    expect(c.outcomes.http_error).toBe(20);
    expect(c.http5xxRate).toBeCloseTo(0.1, 10);
    expect(c.outcomes.no_terminal).toBe(10);
    expect(c.outcomes.malformed).toBe(10);
    expect(c.errorRate).toBeCloseTo(0.2, 10);
    // Interruptions are judged among the 180 streams that got 2xx headers.
    expect(c.streamsWithHeaders).toBe(180);
    expect(c.interruptionRate).toBeCloseTo(20 / 180, 10);
    for (const p of out.pairs) if (p.candidate.outcome === 'http_error') expect(p.candidate.status).toBe(502);
  });

  it('content characters and chars/s follow from the token text and the gaps', () => {
    const b = out.result.summaries[0]!.baseline;
    const perStream = Array.from({ length: tokens }, (_, i) => `tok${i + 1} `.length).reduce((a, n) => a + n, 0);
    expect(b.contentChars).toBe(perStream * 200);
    for (const p of out.pairs) expect(p.baseline.contentChunks).toBe(tokens);
    // First content to completion spans the remaining tokens, the citations event and the terminal event.
    const expected = (perStream / ((tokens + 1) * gap)) * 1000;
    expect(Math.abs(b.contentCharsPerSec!.p50 - expected) / expected).toBeLessThanOrEqual(0.1);
    expect(b.bytes).toBeGreaterThan(b.contentChars);
  });
});
