import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { renderStoredRun } from '../../harness/pipeline/render.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { withAllSections } from '../helpers/run-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'reports', 'screenshots');

describe('report.html of a fixture run, in headless Chromium', () => {
  let proc: FixtureProcess;
  let browser: Browser;
  let page: Page;
  let run: RunResult;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    // A real paired run against fixture backends with faults, so every plot has real data...
    proc = await startFixtureProcess([
      { framing: 'named-events', seed: 3, tokens: 10, firstContentDelayMs: 40, interEventGapMs: 8, faults: { reset: 0.02, citationDrop: 0.02 } },
      { framing: 'openai', streamPath: '/chat/stream', seed: 4, tokens: 10, firstContentDelayMs: 60, interEventGapMs: 10, faults: { reset: 0.03, stall: 0.02, errorEvent: 0.02, httpError: 0.02, citationDrop: 0.08 } },
    ]);
    const [b, c] = proc.fixtures;
    const ws = tempWorkspace([
      { text: 'What does the refund policy say?', expectsCitations: true },
      { text: 'Hello!', expectsCitations: false },
    ]);
    const cfg = streamConfig({ baselineUrl: b!.url, candidateUrl: c!.url, candidatePath: '/chat/stream', candidateStream: 'openai', promptsFile: ws.promptsFile, load: { vus: 10, iterations: 200, rampUp: '500ms' } });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out, runId: 'browser-fixture' });
    // ...then the sections other steps fill (verdict, hooks, contracts, harness, stages), stored and rendered as `parity report` does.
    run = withAllSections(out.result);
    writeFileSync(out.runJson, JSON.stringify(run, null, 2));
    const [, html] = await renderStoredRun(out.runJson, { formats: ['md', 'html'] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html!).href, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    await proc?.close();
  });

  it('opens with no console errors and fetches nothing but itself', () => {
    expect(errors).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^file:/);
  });

  it('shows the verdict and every gate', async () => {
    const v = run.verdict!;
    expect(await page.getAttribute('.banner', 'data-verdict')).toBe(v.status);
    expect(await page.textContent('.banner .word')).toBe(v.status.toUpperCase());
    const rows = await page.$$eval('table.gates tbody tr', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-gate'), pill: tr.querySelector('.pill')?.textContent })));
    expect(rows.map((r) => r.id)).toEqual(v.gates.map((g) => g.id));
    for (const [i, g] of v.gates.entries()) expect(rows[i]!.pill).toBe(g.status === 'fail' && g.severity === 'warn' ? 'warn' : g.status);
  });

  it('draws every plot with real marks', async () => {
    const marks = async (id: string, sel: string) => page.$$eval(`figure.chart[data-chart="${id}"] svg ${sel}`, (els) => els.length);
    const sc = run.summaries[0]!.scenario;
    // Two CDF lines each (baseline, candidate), bars for the histograms, a line per target and kind on the timelines.
    expect(await marks(`cdf-first-content-${sc}`, 'path.series')).toBe(2);
    expect(await marks(`cdf-completion-${sc}`, 'path.series')).toBe(2);
    expect(await marks(`gap-histogram-${sc}`, 'rect.bar')).toBeGreaterThan(4);
    expect(await marks(`failures-${sc}`, 'rect.bar')).toBeGreaterThanOrEqual(4);
    expect(await marks('timeline-throughput', 'path.series')).toBe(2);
    expect(await marks('timeline-failures', 'path.series')).toBe(4);
    expect(await marks('timeline-throughput', 'g.band')).toBe(2);
    // The SVG is laid out, not just present: each chart has a real size on the page.
    const sizes = await page.$$eval('figure.chart svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width * s.getBoundingClientRect().height));
    // Six plots, plus the ITL and TPOT CDFs beside first content (empty here: the synthetic streams carry no ITL).
    expect(await page.$$eval(`figure.chart[data-chart^="cdf-itl-"], figure.chart[data-chart^="cdf-tpot-"]`, (f) => f.length)).toBe(2);
    expect(sizes.length).toBe(8);
    for (const s of sizes) expect(s).toBeGreaterThan(50_000);
  });

  it('shows the contract diff with its curl reproduction, and the hooks', async () => {
    expect(await page.$$eval('details.contract', (d) => d.length)).toBe(run.contracts!.length);
    expect(await page.textContent('details.contract[open] pre.curl')).toBe(run.contracts![0]!.curl);
    expect(await page.$$eval('details.contract[open] tr[data-pointer]', (rows) => rows.map((r) => r.getAttribute('data-pointer')))).toEqual(run.contracts![0]!.drift.map((d) => d.pointer));
    expect(await page.$$eval('table.hooks tbody tr', (rows) => rows.length)).toBe(run.hooks!.length);
  });

  it('renders in light and dark, kept as screenshots under reports/', async () => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'report.png'), fullPage: true });
    const light = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(dark).not.toBe(light);
    await page.screenshot({ path: path.join(SHOTS, 'report-dark.png'), fullPage: true });
  });
});
