import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);
const counts = (xml: string) => {
  const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as { testsuites: { '@_failures': string; '@_errors': string } };
  return { failures: Number(doc.testsuites['@_failures']), errors: Number(doc.testsuites['@_errors']) };
};

/**
 * junit.xml listed one testcase per gate. A verdict held back by the run itself (incomplete,
 * harness health, a stream profile that read nothing, dropped starts) with every gate passing
 * came out as an all-green junit.xml: a CI that reads the test report saw a pass.
 */
describe('junit.xml is never all green for a verdict that is not a pass', () => {
  const ps = pairs(200, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
  const cases: [string, Partial<RunResult>][] = [
    ['an incomplete run', { complete: false, incompleteReason: 'interrupted' }],
    ['harness-health warnings', { harness: { eventLoopDelayMs: null, dispatchLagMs: null, warnings: ['harness event-loop delay p99 80 ms (limit 50 ms)'] } }],
    ['a stream profile that read no content', { warnings: ['target "cand" (candidate), scenario "s": the stream profile read no content'] }],
  ];
  for (const [what, over] of cases) {
    it(`${what}: the verdict is not a pass, and junit.xml says so`, async () => {
      for (const insufficient of ['inconclusive', 'fail'] as const) {
        const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50, insufficient });
        const run = runOf(ps, over);
        const verdict = evaluatePolicy(policy, run, ps.map(gatePair), NOW);
        expect(verdict.status).toBe(insufficient);
        expect(verdict.gates.every((g) => g.status === 'pass')).toBe(true);
        const c = counts(renderJunit({ ...run, verdict }));
        expect(c[insufficient === 'fail' ? 'failures' : 'errors'], `${what}, insufficient: ${insufficient}`).toBeGreaterThan(0);
      }
    });
  }

  it('a pass stays all green', async () => {
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50 });
    const run = runOf(ps);
    const verdict = evaluatePolicy(policy, run, ps.map(gatePair), NOW);
    expect(verdict.status).toBe('pass');
    expect(counts(renderJunit({ ...run, verdict }))).toEqual({ failures: 0, errors: 0 });
  });
});
