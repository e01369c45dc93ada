import { describe, expect, it } from 'vitest';
import { PacingTally, replayFindings } from '../../harness/sources/replay/fidelity.ts';

describe('what a replay says about its own verdict (sources/replay/fidelity.ts)', () => {
  it('more than 1% of the paced requests sent over 5 ms late is a harness-health warning; 1% or less is not', () => {
    const tally = new PacingTally();
    for (let i = 0; i < 200; i++) tally.observe(i === 7 ? 12.5 : i === 9 ? 5.5 : 0.3);
    expect(tally.toJSON()).toEqual({ toleranceMs: 5, sent: 200, late: 2, worstMs: 12.5 });
    expect(replayFindings({ read: 200, bad: 0, pacing: tally.toJSON() }).warnings).toEqual([]);
    tally.observe(6);
    expect(replayFindings({ read: 200, bad: 0, pacing: tally.toJSON() }).warnings).toEqual([
      'replay pacing: 3 of 201 requests (1.5%) were sent more than 5 ms after their recorded offsets (worst 12.5 ms): the recorded inter-arrival times were not kept; use a less busy machine or a lower --speed',
    ]);
    // Exactly at the tolerance is on time.
    const edge = new PacingTally();
    edge.observe(5);
    expect(edge.toJSON().late).toBe(0);
  });

  it('the corrupt share is judged against --max-corrupt (default 1%), strictly over it', () => {
    expect(replayFindings({ read: 100, bad: 1 }).incomplete).toBeUndefined();
    expect(replayFindings({ read: 99, bad: 1 }).incomplete).toMatch(/^1 of 99 capture entries \(1%\) were corrupt or truncated, over --max-corrupt 1%/);
    expect(replayFindings({ read: 1000, bad: 5, maxCorrupt: 0.005 }).incomplete).toBeUndefined();
    expect(replayFindings({ read: 1000, bad: 6, maxCorrupt: 0.005 }).incomplete).toMatch(/over --max-corrupt 0.5%/);
    expect(replayFindings({ read: 10, bad: 1, maxCorrupt: 0 }).incomplete).toMatch(/over --max-corrupt 0%/);
    expect(replayFindings({ read: 0, bad: 0 })).toEqual({ warnings: [] });
  });
});

describe('the --max-corrupt share is of the entries meant to be replayed', () => {
  it('entries left out by filters, window or writes do not dilute it: 50 bad with 100 kept is 33%, not 0.5% of 10,000 read', () => {
    const skipped = { writes: 2_000, filtered: 7_000, window: 850 };
    expect(replayFindings({ read: 10_000, bad: 50, unsendable: 50, skipped }).incomplete).toMatch(/^50 of 150 capture entries to replay \(10000 read, 9850 left out by filters, window or writes\) \(33\.3%\) were corrupt or truncated \(50 of them cannot be sent as written\), over --max-corrupt 1%/);
    expect(replayFindings({ read: 10_000, bad: 1, skipped: { writes: 0, filtered: 9_800, window: 0 } }).incomplete).toBeUndefined();
    expect(replayFindings({ read: 10_000, bad: 3, skipped: { writes: 0, filtered: 9_800, window: 0 } }).incomplete).toMatch(/^3 of 200 capture entries to replay/);
  });
});

describe('a capture out of time order', () => {
  it('is counted, and the pacing warning names it instead of the machine', () => {
    const pacing = { toleranceMs: 5, sent: 10, late: 3, worstMs: 400 };
    expect(replayFindings({ read: 10, bad: 0, pacing, outOfOrder: 3 }).warnings[0]).toMatch(/3 of the capture's requests are out of time order \(sent at once, late by design\): sort the capture by time$/);
    expect(replayFindings({ read: 10, bad: 0, pacing }).warnings[0]).toMatch(/use a less busy machine or a lower --speed$/);
  });
});
