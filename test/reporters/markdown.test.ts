import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { failingRun, plainRun } from './fixtures.ts';

const rowsOf = (md: string, heading: string) => {
  const section = md.split(/^## /m).find((s) => s.startsWith(heading))!;
  return section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Gate |') && !l.startsWith('| ---'));
};

describe('summary.md', () => {
  const run = failingRun();
  const md = renderMarkdown(run);

  it('leads with the verdict line', () => {
    const v = run.verdict!;
    const failed = v.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').length;
    expect(failed).toBeGreaterThan(0);
    expect(md.split('\n').slice(0, 4).join('\n')).toContain(`**Verdict: FAIL (policy release-gates): ${v.gates.length} gates, ${failed} failed`);
    for (const r of v.reasons) expect(md).toContain(`- ${r}`);
  });

  it('has one gates-table row per gate, with its result', () => {
    const rows = rowsOf(md, 'Gates');
    expect(rows).toHaveLength(run.verdict!.gates.length);
    for (const [i, g] of run.verdict!.gates.entries()) {
      expect(rows[i]).toContain(`\`${g.id}\``);
      const expected = g.status === 'fail' ? (g.severity === 'warn' ? 'warn' : 'fail') : g.status;
      expect(rows[i]).toContain(expected);
    }
  });

  it('has key percentiles, failures by kind, citations, contract drift and hooks', () => {
    const b = run.summaries[0]!.baseline;
    expect(md).toContain(`| first content p95 | ${Number(b.firstContentMs!.p95.toFixed(1))} ms |`);
    expect(md).toMatch(/\| reset \| yes \| \d+ \| \d+ \|/);
    expect(md).toMatch(/\| http_error \| no \(no stream\) \| 0 \| \d+ \|/);
    expect(md).toContain(`(${b.citations.present}/${b.citations.expected})`);
    expect(md).toContain('`/session/created_at` type ×9');
    expect(md).toContain("curl -sS -X GET 'http://127.0.0.1:3000/sessions/parity-demo-7'");
    expect(md).toMatch(/\| webhook \| `https:\/\/hooks\.example\.test\/deploy` \| ❌ failed \| HTTP 500 \| 3 \|/);
  });

  it('says what is absent instead of leaving a hole', () => {
    const plain = renderMarkdown(plainRun());
    expect(plain).toContain('**Verdict: NONE (no policy evaluated)**');
    expect(plain).toContain('_no policy evaluated: run with a policy to get a verdict._');
    expect(plain).toContain('_no contract scenarios._');
    expect(rowsOf(plain, 'Gates')).toHaveLength(0);
  });

  it('keeps a table intact when a gate description contains a pipe', () => {
    const r = failingRun();
    r.verdict!.gates[0]!.description = 'p95 | weird name';
    const row = rowsOf(renderMarkdown(r), 'Gates')[0]!;
    expect(row).toContain('p95 \\| weird name');
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(6);
  });
});
