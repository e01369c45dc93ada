import { describe, expect, it } from 'vitest';
import type { Outcome, StreamSample } from '../../harness/metrics/sample.ts';
import { buildTimeline } from '../../harness/metrics/timeline.ts';

const sample = (target: string, startedAt: number, endMs: number, outcome: Outcome, status?: number): StreamSample => ({
  target,
  role: target === 'b' ? 'baseline' : 'candidate',
  scenario: 's',
  requestId: `r${startedAt}`,
  iteration: 0,
  vu: 0,
  promptIndex: 0,
  expectsCitations: false,
  startedAt,
  outcome,
  ...(status !== undefined ? { status } : {}),
  endMs,
  gapsMs: [],
  events: 0,
  contentChunks: 0,
  contentChars: 0,
  bytes: 0,
  citations: 0,
});

describe('buildTimeline', () => {
  const targets = [
    { name: 'b', role: 'baseline' as const },
    { name: 'c', role: 'candidate' as const },
  ];
  it('counts streams by the second they ended, per target and kind', () => {
    const t0 = 1_700_000_000_000;
    const t = buildTimeline(targets, [
      sample('b', t0, 200, 'complete', 200),
      sample('b', t0 + 500, 600, 'complete', 200), // ends at 1100 → second 1
      sample('c', t0, 999, 'reset', 200), // interruption in second 0
      sample('c', t0 + 100, 50, 'http_error', 503), // error
      sample('c', t0 + 2000, 1500, 'stalled', 200), // ends at 3500 → second 3
      sample('c', t0 + 2000, 10, 'timeout'), // timeout before headers: an error, not an interruption
    ]);
    expect(t.originMs).toBe(t0);
    expect(t.bucketMs).toBe(1000);
    const [b, c] = t.series;
    expect(b).toMatchObject({ target: 'b', completed: [1, 1, 0, 0], errors: [0, 0, 0, 0], interruptions: [0, 0, 0, 0] });
    expect(c).toMatchObject({ target: 'c', completed: [0, 0, 0, 0], errors: [1, 0, 1, 0], interruptions: [1, 0, 0, 1] });
  });
  it('is empty without samples', () => {
    const t = buildTimeline(targets, []);
    expect(t.originMs).toBeNull();
    expect(t.series.map((s) => s.completed.length)).toEqual([0, 0]);
  });
});
