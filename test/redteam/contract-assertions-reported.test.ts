import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { loadStep } from '../helpers/contracts.ts';
import { plainRun } from '../reporters/fixtures.ts';

/**
 * A contract step whose candidate failed its assertions (`expect`) without drifting from the
 * baseline (both answered alike, or the failing field is noise or ignored by a rule): the terminal
 * marks it ✖ and `parity snapshot compare` exits 1 on it, but junit.xml had it as a passing
 * testcase (failures only on drift), report.html showed a green "identical" pill and summary.md
 * did not mention it: without a policy, junit.xml was all green for a run that exited 1.
 */
const step = loadStep({ underLoad: undefined, classes: undefined, assertionFailures: { baseline: 0, candidate: 3 }, failures: [{ role: 'candidate', message: 'expected status 200, got 500', count: 3 }] });
const run: RunResult = { ...plainRun(), contracts: [step] };

describe('a contract step whose candidate failed its assertions', () => {
  it('is a <failure> in junit.xml', () => {
    const doc = new XMLParser({ ignoreAttributes: false }).parse(renderJunit(run)) as { testsuites: { '@_failures': string } };
    expect(Number(doc.testsuites['@_failures'])).toBe(1);
    expect(renderJunit(run)).toContain('expected status 200, got 500');
  });

  it('is not a green "identical" in report.html, and summary.md says so', () => {
    const html = renderHtml(run);
    const summary = /<details class="contract"[^>]*><summary>(.*?)<\/summary>/.exec(html)![1]!;
    expect(summary).not.toContain('pill pass');
    expect(summary).toContain('assertions failed');
    expect(renderMarkdown(run)).toMatch(/`lots` \/ `get_lot`: candidate failed 3 assertions/);
  });

  it('a step whose assertions held stays green', () => {
    const ok = { ...run, contracts: [{ ...step, assertionFailures: { baseline: 0, candidate: 0 }, failures: [] }] };
    expect(renderJunit(ok)).not.toContain('<failure');
    expect(renderHtml(ok)).toContain('<span class="pill pass">identical</span>');
    expect(renderMarkdown(ok)).not.toContain('failed 3 assertions');
  });
});
