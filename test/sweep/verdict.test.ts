import { describe, expect, it } from 'vitest';
import { renderSweepHtml, renderSweepMarkdown } from '../../harness/reporters/sweep.ts';
import type { SweepResult } from '../../harness/sweep/result.ts';
import { sweepVerdict } from '../../harness/sweep/verdict.ts';

/**
 * The sweep's exit code held back a pass for an interrupted sweep or a step that did not complete
 * (exit 2), while sweep.json, sweep.md and sweep.html read PASS: CI showed PASS beside a job that
 * said "inconclusive". The verdict is now the exit code's, with the reasons in the reports.
 */
describe('sweep verdict', () => {
  const step = (rate: number, complete: boolean, stoppedEarly: string | null = null) => ({ rate, run: `step-0${rate}-rate-${rate}`, complete, stoppedEarly });
  const pass = [{ status: 'pass' as const }];

  it('a step that did not complete (not cut short) holds a passing capacity gate back to inconclusive, and says which', () => {
    const v = sweepVerdict(pass, [step(10, true), step(20, false), step(30, true)], null);
    expect(v.verdict).toBe('inconclusive');
    expect(v.heldBack).toEqual(['the step at 20 did not complete (step-020-rate-20): its rate was not proven']);
  });

  it('a step cut short by the early stop is incomplete by design and holds nothing back; an interruption does', () => {
    expect(sweepVerdict(pass, [step(10, true), step(20, false, 'stopped early after 40 pairs: both targets already fail')], 'both targets past their knee')).toEqual({ verdict: 'pass', heldBack: [] });
    expect(sweepVerdict(pass, [step(10, true)], 'interrupted')).toMatchObject({ verdict: 'inconclusive', heldBack: ['the sweep was interrupted: the steps above were not run'] });
  });

  it('a failing gate stays a fail; no gate stays no verdict (the reasons still listed)', () => {
    expect(sweepVerdict([{ status: 'fail' }, { status: 'pass' }], [step(10, false)], null).verdict).toBe('fail');
    expect(sweepVerdict([], [step(10, false)], null)).toMatchObject({ verdict: null, heldBack: [expect.stringMatching(/did not complete/)] });
  });

  it('sweep.md and sweep.html say the held-back verdict and why', () => {
    const r: SweepResult = {
      sweepId: 's',
      name: 'n',
      configFile: 'c.yaml',
      policy: 'p',
      slo: null,
      startedAt: '2026-12-01T00:00:00.000Z',
      endedAt: '2026-12-01T00:01:00.000Z',
      timeUnitMs: 1000,
      stepDurationMs: 10_000,
      warmupMs: 0,
      planned: [10, 20],
      steps: [],
      stoppedEarly: null,
      knees: { baseline: { rate: 20, below: null }, candidate: { rate: 20, below: null }, ratio: 1 },
      gates: [{ id: 'cap', description: 'capacity >= 1.0x baseline', status: 'pass', value: 1, interval: { low: 1, high: 1 }, reason: 'within' }],
      ...sweepVerdict(pass, [step(10, true), step(20, false)], null),
    };
    const md = renderSweepMarkdown(r);
    expect(md).toMatch(/^## Capacity sweep · INCONCLUSIVE/);
    expect(md).toMatch(/\*\*not a pass\*\*: the step at 20 did not complete/);
    const html = renderSweepHtml(r);
    expect(html).toMatch(/<div class="word">INCONCLUSIVE<\/div>/);
    expect(html).toMatch(/not a pass: the step at 20 did not complete/);
  });
});
