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
      load: { vus: 40, iterations: 400, timeouts: { idle: '300ms' } },
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
    // Both requests leave in one tick; a GC pause may still land between them now and then.
    const apart = out.pairs.filter((p) => Math.abs(p.baseline.startedAt - p.candidate.startedAt) > 2).length;
    expect(apart / out.pairs.length).toBeLessThanOrEqual(0.02);
  });
});
