import { describe, expect, it } from 'vitest';
import { Histogram } from '../../harness/metrics/histogram.ts';
import { SummaryAccumulator } from '../../harness/metrics/summary.ts';
import type { StreamSample } from '../../harness/metrics/sample.ts';
import { rampSchedule } from '../../harness/load/ramping-arrival-rate.ts';
import { constantCount, shareOf } from '../../harness/load/model.ts';
import { integralTo } from '../../harness/load/stages.ts';

describe('arrival schedules', () => {
  it('a constant rate starts exactly rate × duration iterations, evenly spaced', () => {
    expect(constantCount(200, 1000, 5000)).toBe(1000);
    expect(constantCount(50, 1000, 10_000)).toBe(500);
    expect(constantCount(90, 60_000, 60_000)).toBe(90);
    expect(constantCount(3, 1000, 1001)).toBe(4);
  });

  it('a ramp puts in each stage the integral of its rate', () => {
    // 0 → 300/s over 2 s, hold 300/s for 1 s, 300 → 100/s over 2 s, an instant jump to 50/s held 1 s.
    const stages = [
      { duration: 2000, target: 0.3 },
      { duration: 1000, target: 0.3 },
      { duration: 2000, target: 0.1 },
      { duration: 0, target: 0.05 },
      { duration: 1000, target: 0.05 },
    ];
    const s = rampSchedule(0, stages);
    expect(s.count).toBe(Math.ceil(integralTo(0, stages, 6000)));
    expect(s.count).toBe(300 + 300 + 400 + 50);
    const times = Array.from({ length: s.count }, (_, i) => s.at(i));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    const within = (a: number, b: number) => times.filter((t) => t >= a && t < b).length;
    expect(within(0, 2000)).toBe(300);
    expect(within(2000, 3000)).toBe(300);
    expect(within(3000, 5000)).toBe(400);
    expect(within(5000, 6000)).toBe(50);
    // Inside the first ramp the count up to t is the integral 0.3·t²/(2·2000).
    expect(within(0, 1000)).toBe(Math.ceil((0.3 * 1000 * 1000) / 4000));
  });

  it('splits a bound over workers without losing any', () => {
    expect([0, 1, 2].map((index) => shareOf(10, { index, count: 3 }))).toEqual([4, 3, 3]);
  });
});

describe('bounded histograms', () => {
  it('agree with exact quantiles within 0.1 %', () => {
    const h = new Histogram();
    const values = Array.from({ length: 100_000 }, (_, i) => 0.5 + ((i * 7919) % 100_000) / 37);
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.001);
    }
    expect(h.min).toBe(sorted[0]);
    expect(h.max).toBe(sorted[sorted.length - 1]);
  });

  it('merged halves summarize like the whole (what workers rely on)', () => {
    const sample = (i: number): StreamSample => ({
      target: 't',
      role: 'baseline',
      scenario: 's',
      requestId: `r${i}`,
      iteration: i,
      vu: 0,
      promptIndex: 0,
      expectsCitations: i % 2 === 0,
      startedAt: 0,
      outcome: i % 10 === 0 ? 'reset' : 'complete',
      status: 200,
      headersMs: 1 + (i % 7),
      firstEventMs: 10 + (i % 13),
      firstContentMs: 10 + (i % 13),
      completionMs: 100 + (i % 29),
      endMs: 100 + (i % 29),
      gapsMs: [1, 2, i % 5],
      events: 4,
      contentChunks: 3,
      contentChars: 30,
      bytes: 200,
      citations: i % 3 === 0 ? 0 : 1,
      dispatchLagMs: i % 4,
    });
    const whole = new SummaryAccumulator('t', 'baseline', 's');
    const a = new SummaryAccumulator('t', 'baseline', 's');
    const b = new SummaryAccumulator('t', 'baseline', 's');
    for (let i = 0; i < 1000; i++) {
      whole.add(sample(i));
      (i % 2 ? a : b).add(sample(i));
    }
    a.merge(JSON.parse(JSON.stringify(b.toJSON())));
    expect(a.summary()).toEqual(whole.summary());
    const s = whole.summary();
    // Latency counts from the intended start: service time plus dispatch lag.
    expect(s.completionMs!.max).toBe(128 + 3);
    expect(s.serviceTime!.completionMs!.max).toBe(128);
  });
});
