import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath } from '../../harness/paths.ts';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { barChart, lineChart } from '../../harness/reporters/svg.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { syntheticRun, withAllSections } from '../helpers/run-fixture.ts';

const M_TOP = 14; // svg.ts's top margin: the plot area starts here

function fullRun(): RunResult {
  return withAllSections(
    syntheticRun({
      runId: 'polish',
      startedAt: '2026-11-01T02:00:00.000Z',
      n: 200,
      baseline: { name: 'python', firstContentMs: 40, gapMs: 9 },
      candidate: { name: 'node', firstContentMs: 60, gapMs: 9 },
    }),
  );
}

describe('report polish', () => {
  it('a contract-only run: no "0 paired iterations (none load)", no empty timeline', () => {
    const run: RunResult = { ...fullRun(), summaries: [], timeline: undefined, load: { ...fullRun().load, iterations: 0, model: 'none' } } as unknown as RunResult;
    const html = renderHtml(run);
    const md = renderMarkdown(run);
    for (const text of [html, md]) {
      expect(text).not.toMatch(/0 paired iterations/);
      expect(text).toMatch(/contract flows only: 2 steps compared/);
    }
    expect(html).not.toContain('<h2>Timeline</h2>');
    expect(html).not.toContain('data-chart="timeline-');
    // A load run still shows both.
    const load = renderHtml(fullRun());
    expect(load).toMatch(/200 paired iterations \(closed load\)|200 paired iterations/);
    expect(load).toContain('<h2>Timeline</h2>');
  });

  it('equal lines in one chart are drawn apart, each with its own dash', () => {
    const zeros = [[0, 0], [1, 0], [2, 0]] as const;
    const svg = lineChart({
      id: 'x',
      title: 'Errors and interruptions per second',
      step: true,
      spread: 2,
      series: ['s-baseline', 's-baseline dash', 's-candidate dot2', 's-candidate dash'].map((cls, i) => ({ name: `s${i}`, cls, points: zeros })),
      x: { label: 's' },
      y: { label: 'n', min: 0, max: 1 },
    });
    const ds = [...svg.matchAll(/<path class="series ([^"]+)" d="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(ds).toHaveLength(4);
    expect(new Set(ds.map(([, d]) => d)).size).toBe(4);
    expect(new Set(ds.map(([cls]) => cls)).size).toBe(4);
  });

  it('the tallest bar stays below the top of the chart, and the last bar sits under a label', () => {
    const categories = Array.from({ length: 23 }, (_, i) => `c${i}`);
    // 0.5 is a "nice" tick: without headroom the tallest bar would reach the top line.
    const values = categories.map((_, i) => (i === 5 ? 0.5 : 0.05));
    const svg = barChart({ id: 'h', title: 'Gaps between events', categories, series: [{ name: 'a', cls: 's-baseline', values }], x: { label: 'gap' }, y: { label: 'share' } });
    const tops = [...svg.matchAll(/<rect class="bar[^"]*" x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(tops).toHaveLength(23);
    expect(Math.min(...tops)).toBeGreaterThan(M_TOP + 5);
    const labels = [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)</g)].map((m) => m[1]);
    expect(labels.at(-1)).toBe('c22');
    expect(labels.length).toBeLessThanOrEqual(14);
  });

  it('printed paths: relative inside the current directory, absolute outside, never ../..', () => {
    const cwd = '/work/a/b/c';
    expect(displayPath('/work/a/b/c/reports/r1/run.json', cwd)).toBe(path.join('reports', 'r1', 'run.json'));
    expect(displayPath('/tmp/parity/r1/run.json', cwd)).toBe('/tmp/parity/r1/run.json');
    expect(displayPath('../../x.yaml', cwd)).toBe('/work/a/x.yaml');
  });
});
