import { describe, expect, it } from 'vitest';
import { num, pct, pct1, pp } from '../../harness/reporters/format.ts';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { renderSummary } from '../../harness/reporters/terminal.ts';
import { syntheticRun } from '../helpers/run-fixture.ts';

/**
 * Rates were printed with a fixed two decimals (one on the terminal): one failed stream in 30 000
 * read "0%" (terminal "0.0%"), the same as none, and a 99.996 % citation presence read "100%".
 * A reader (or a PR comment) saw a clean run where requests failed.
 */
describe('a rate that is not 0 never reads 0 (and one below 100 % never reads 100 %)', () => {
  it('formats', () => {
    expect(pct(1 / 30_000)).toBe('0.003%');
    expect(pct1(1 / 30_000)).toBe('0.003%');
    expect(pct(0)).toBe('0%');
    expect(pct1(0)).toBe('0.0%');
    expect(pct(0.0123)).toBe('1.23%');
    expect(pct(1)).toBe('100%');
    expect(pct(29_999 / 30_000)).toBe('99.997%');
    expect(pct1(0.99996)).toBe('99.996%');
    expect(pp(0, 1 / 30_000)).toBe('+0.003 pp');
    expect(pp(0.01, 0.01)).toBe('0 pp');
    // An exponent form is not trimmed into another number (1e-10 once read "1.00e-1").
    expect(Number(num(1e-10))).toBe(1e-10);
  });

  it('markdown, HTML and terminal show the one failure in 30 000', () => {
    const run = syntheticRun({ runId: 'r', startedAt: '2026-11-01T02:00:00.000Z', n: 60, baseline: { name: 'py', firstContentMs: 40, gapMs: 9 }, candidate: { name: 'node', firstContentMs: 40, gapMs: 9 } });
    const c = run.summaries[0]!.candidate;
    Object.assign(c, { errorRate: 1 / 30_000, interruptionRate: 1 / 30_000 });
    for (const [what, text] of [
      ['markdown', renderMarkdown(run)],
      ['html', renderHtml(run)],
      ['terminal', renderSummary(run, { color: false })],
    ] as const) {
      expect(text, what).toMatch(/0\.003\d*%/);
    }
  });
});
