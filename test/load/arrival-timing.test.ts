import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { loadConfig } from './helpers.ts';

// An arrival timer wakes on the event loop's millisecond clock, up to about a millisecond before
// its due time. Sent then, a start left before its intended time and its dispatchLagMs was clamped
// to 0 (a fifth of the starts of a 100/s run here, up to 1.5 ms early): the lag no longer said
// "actual send − intended start", and latencies from the intended start were those of a request
// sent on time. The pacer now waits out the rest of an early wake.
const FAST = { framing: 'named-events', tokens: 2, firstContentDelayMs: 2, interEventGapMs: 1 } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };

describe('arrival-rate starts', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace();
  beforeAll(async () => {
    proc = await startFixtureProcess([FAST, FAST]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('never leave before their intended start, and dispatchLagMs is the send minus the intended start', async () => {
    const [b, c] = proc.fixtures;
    const cfg = loadConfig({ baselineUrl: b!.url, candidateUrl: c!.url, promptsFile: ws.promptsFile, load: { model: 'constant-arrival-rate', rate: 100, duration: '2s', timeouts } });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
    expect(out.result.load.iterations).toBe(200);
    expect((await b!.served()).length).toBe(200);
    expect((await c!.served()).length).toBe(200);
    let early = 0;
    for (const p of out.pairs) {
      for (const s of [p.baseline, p.candidate]) {
        // Both stamps are rounded to the microsecond.
        if (s.startedAt < s.intendedAt! - 0.002) early++;
        expect(Math.abs(s.startedAt - s.intendedAt! - s.dispatchLagMs!)).toBeLessThanOrEqual(0.002);
      }
    }
    expect(early).toBe(0);
    // The starts follow the configured rate: iteration i meant for i × 10 ms, sent over the 2 s.
    const t0 = out.pairs.find((p) => p.iteration === 0)!.baseline.intendedAt!;
    for (const p of out.pairs) expect(Math.abs(p.baseline.intendedAt! - t0 - p.iteration * 10)).toBeLessThan(0.01);
    const sent = out.pairs.map((p) => p.baseline.startedAt - t0);
    expect(Math.max(...sent)).toBeGreaterThanOrEqual(1990 - 0.002);
    const firstSecond = sent.filter((t) => t < 1000).length;
    expect(Math.abs(firstSecond - 100)).toBeLessThanOrEqual(10);
  });
});
