import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../harness/reporters/terminal.ts';
import { failingRun, plainRun } from './fixtures.ts';

describe('terminal summary', () => {
  it('ends with the verdict and each gate that did not pass', () => {
    const run = failingRun();
    const text = renderSummary(run, { color: false });
    const notPassed = run.verdict!.gates.filter((g) => g.status !== 'pass');
    expect(text).toContain('Verdict: FAIL (policy release-gates)');
    for (const g of notPassed) expect(text).toContain(`${g.description}: observed`);
    expect(text.match(/^ {2}(FAIL|WARN|INCONCLUSIVE) /gm)).toHaveLength(notPassed.length);
  });
  it('colors only when asked (on a TTY)', () => {
    const run = failingRun();
    expect(renderSummary(run, { color: false })).not.toContain('\x1b[');
    expect(renderSummary(run, { color: true })).toContain('\x1b[1;31mVerdict: FAIL');
  });
  it('says no policy was evaluated when there is no verdict', () => {
    expect(renderSummary(plainRun(), { color: false })).toContain('Verdict: NONE (no policy evaluated)');
  });
});
