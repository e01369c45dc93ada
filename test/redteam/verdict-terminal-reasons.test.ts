import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { renderVerdict } from '../../harness/reporters/verdict.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);

/**
 * The verdict printed on the terminal (`parity run --policy`, `parity gate`) listed one line per
 * gate and only the run-level reasons about an incomplete run or harness health: a verdict held
 * back by dropped starts or by a stream profile that read nothing printed INCONCLUSIVE over a
 * column of passing gates, with no reason anywhere (`parity gate` prints nothing else).
 */
describe('the terminal verdict says why a verdict with every gate passing is not a pass', () => {
  const ps = pairs(200, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
  const dropped = (): Partial<RunResult> => {
    const run = runOf(ps);
    return { load: { ...run.load, dropped: 7 }, summaries: run.summaries.map((s) => ({ ...s, candidate: { ...s.candidate, dropped: 7 } })) };
  };
  const cases: [string, Partial<RunResult>, RegExp][] = [
    ['dropped starts', dropped(), /7 scheduled starts were dropped/],
    ['a stream profile that read no content', { warnings: ['target "cand" (candidate), scenario "s": the stream profile read no content'] }, /the stream profile read no content/],
    ['an incomplete run', { complete: false, incompleteReason: 'interrupted' }, /run incomplete \(interrupted\)/],
  ];
  for (const [what, over, reason] of cases) {
    it(what, async () => {
      const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50 });
      const run = runOf(ps, over);
      const verdict = evaluatePolicy(policy, run, ps.map(gatePair), NOW);
      expect(verdict.status).toBe('inconclusive');
      expect(verdict.gates.every((g) => g.status === 'pass')).toBe(true);
      const text = renderVerdict(verdict, { color: false });
      expect(text).toMatch(/^verdict: INCONCLUSIVE/);
      expect(text).toMatch(new RegExp(`^  INCONCLUSIVE .*${reason.source}`, 'm'));
    });
  }

  it('a pass prints its gates only (the implicit failed-requests guard is one); a failed gate is not printed twice', async () => {
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50 });
    const run = runOf(ps);
    const pass = renderVerdict(evaluatePolicy(policy, run, ps.map(gatePair), NOW), { color: false });
    expect(pass.split('\n'), pass).toHaveLength(3);
    const slow = pairs(200, () => ({ completionMs: 100 }), () => ({ completionMs: 200 }));
    const fail = renderVerdict(evaluatePolicy(policy, runOf(slow), slow.map(gatePair), NOW), { color: false });
    expect(fail.split('\n'), fail).toHaveLength(3);
  });
});
