import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { bothFailingSoFar, sideView } from '../../harness/sweep/early-stop.ts';
import { EarlyStop } from '../../harness/sweep/early-stop-watch.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/** The step so far: run.json as it stands mid-load (not complete). */
const partial = (ps: ReturnType<typeof pairs>) => runOf(ps, { complete: false, endedAt: null, incompleteReason: 'running' });
const slow = { firstContentMs: 900, completionMs: 1200 };
const fast = { firstContentMs: 50, completionMs: 300 };

describe('cutting a sweep step short', () => {
  it('stops only when both targets already fail, each judged on its own side of the pairs', async () => {
    const policy = await policyOf([{ metric: 'first_content.p95', threshold: '<= 500ms' }], { minSamples: 20 });
    const both = pairs(40, () => slow, () => slow);
    const reason = bothFailingSoFar(policy, partial(both), both.map(gatePair));
    expect(reason).toMatch(/^stopped early after 40 pairs: both targets already fail their SLO gates \(baseline: .*first_content\.p95.* · candidate: /);
    // Only the candidate is past its knee: the step goes on (the baseline may still pass at this rate).
    const one = pairs(40, () => fast, () => slow);
    expect(bothFailingSoFar(policy, partial(one), one.map(gatePair))).toBeNull();
    const other = pairs(40, () => slow, () => fast);
    expect(bothFailingSoFar(policy, partial(other), other.map(gatePair))).toBeNull();
    // The baseline view turns the pairs round: its own samples sit where the gates read the candidate.
    expect(sideView(one.map(gatePair), 'baseline')[0]!.candidate.firstContentMs).toBe(50);
  });

  it('never cuts on too few samples, not even under insufficient: fail', async () => {
    const policy = await policyOf([{ metric: 'first_content.p95', threshold: '<= 500ms' }], { minSamples: 50, insufficient: 'fail' });
    const few = pairs(10, () => slow, () => slow);
    // The whole-step judgement would call this a fail (insufficient: fail) ...
    expect(evaluatePolicy(policy, partial(few), few.map(gatePair)).status).toBe('fail');
    // ... but that is no evidence that either target is past its knee.
    expect(bothFailingSoFar(policy, partial(few), few.map(gatePair))).toBeNull();
  });

  it('never cuts on an interval that still straddles the limit', async () => {
    const policy = await policyOf([{ metric: 'goodput', threshold: '>= 50%' }], { minSamples: 10, slo: 'ttft <= 200ms' });
    // 45% good on each side over 20 pairs: below 50% as observed, but the Wilson interval reaches above it.
    const mixed = pairs(20, (i) => (i % 20 < 9 ? fast : slow), (i) => (i % 20 < 9 ? fast : slow));
    expect(bothFailingSoFar(policy, partial(mixed), mixed.map(gatePair))).toBeNull();
    const bad = pairs(60, (i) => (i % 10 < 1 ? fast : slow), (i) => (i % 10 < 1 ? fast : slow));
    expect(bothFailingSoFar(policy, partial(bad), bad.map(gatePair))).toMatch(/goodput/);
  });

  it('a step cut short is an incomplete run: gates that pass leave it inconclusive, never a pass', async () => {
    const policy = await policyOf([{ metric: 'first_content.p95', threshold: '<= 500ms' }], { minSamples: 20 });
    const good = pairs(40, () => fast, () => fast);
    const cutShort = runOf(good, { complete: false, incompleteReason: 'stopped early after 40 pairs: both targets already fail their SLO gates (...)' });
    expect(evaluatePolicy(policy, cutShort, sideView(good.map(gatePair), 'baseline')).status).toBe('inconclusive');
    expect(evaluatePolicy(policy, cutShort, good.map(gatePair)).status).toBe('inconclusive');
  });

  it('the watch checks in its worker thread and aborts the step once, with the reason; a new step starts from no pairs', async () => {
    const policy = await policyOf([{ metric: 'first_content.p95', threshold: '<= 500ms' }], { minSamples: 20 });
    const warnings: string[] = [];
    const early = new EarlyStop(policy, {}, (l) => warnings.push(l));
    try {
      await early.ready();
      const aborts: string[] = [];
      const watch = early.watch({ everyMs: 20, warmupMs: 0, abort: (r) => aborts.push(r) });
      const ps = pairs(30, () => slow, () => slow);
      watch.started(() => partial(ps));
      for (const p of ps.slice(0, 10)) watch.add(gatePair(p));
      await new Promise((r) => setTimeout(r, 1500));
      // 10 pairs: fewer than minSamples, no cut.
      expect(aborts).toEqual([]);
      for (const p of ps.slice(10)) watch.add(gatePair(p));
      const until = Date.now() + 10_000;
      while (aborts.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      watch.stop();
      expect(aborts).toHaveLength(1);
      expect(aborts[0]).toMatch(/^stopped early after 30 pairs/);
      expect(watch.cut?.reason).toBe(aborts[0]);
      expect(watch.cut!.atMs).toBeGreaterThan(0);

      // The next step's pairs are judged alone: 10 slow pairs are too few again.
      const next: string[] = [];
      const watch2 = early.watch({ everyMs: 20, warmupMs: 0, abort: (r) => next.push(r) });
      const ps2 = pairs(10, () => slow, () => slow);
      watch2.started(() => partial(ps2));
      for (const p of ps2) watch2.add(gatePair(p));
      await new Promise((r) => setTimeout(r, 500));
      watch2.stop();
      expect(next).toEqual([]);
    } finally {
      await early.close();
    }
    // Closing the worker is not a failure of the checks.
    expect(warnings).toEqual([]);
  }, 30_000);
});
