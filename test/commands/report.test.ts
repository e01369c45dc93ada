import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPORTERS, REPORTER_NAMES } from '../../harness/reporters/index.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { failingRun } from '../reporters/fixtures.ts';

const FILES = REPORTER_NAMES.map((n) => REPORTERS[n].file);
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');

describe('parity run writes the reports; parity report re-renders them identically', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace();
  const runDir = path.join(ws.out, 'nightly-1');
  const stepSummary = path.join(ws.dir, 'step-summary.md');
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 6, firstContentDelayMs: 20, interEventGapMs: 5, faults: { reset: 0.05 } },
      { framing: 'named-events', tokens: 6, firstContentDelayMs: 30, interEventGapMs: 5, faults: { stall: 0.05 } },
    ]);
    const [b, c] = proc.fixtures;
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: b!.url, candidateUrl: c!.url, promptsFile: ws.promptsFile, load: { vus: 5, iterations: 40 } })));
    writeFileSync(stepSummary, '# earlier step\n');
    run = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'nightly-1', '--quiet', '--summary-to', stepSummary]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('writes summary.md, report.html and junit.xml beside run.json, and says where', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const f of FILES) expect(existsSync(path.join(runDir, f))).toBe(true);
    expect(run.stdout).toMatch(/reports: .*summary\.md, .*report\.html, .*junit\.xml/);
    // --summary-to appends (as $GITHUB_STEP_SUMMARY expects), it does not overwrite.
    expect(readFileSync(stepSummary, 'utf8')).toBe(`# earlier step\n${read(runDir, 'summary.md')}\n`);
  });

  it('re-rendered from the stored run.json, every report is byte-identical', async () => {
    const again = path.join(ws.dir, 'again');
    const r = await runCli(['report', path.join(runDir, 'run.json'), '--format', 'all', '--out', again]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    for (const f of FILES) expect(read(again, f)).toBe(read(runDir, f));
  });

  it('takes a run folder and a comma-separated subset of formats', async () => {
    const some = path.join(ws.dir, 'some');
    const r = await runCli(['report', runDir, '-f', 'md,junit', '--out', some]);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(some, 'summary.md'))).toBe(true);
    expect(existsSync(path.join(some, 'junit.xml'))).toBe(true);
    expect(existsSync(path.join(some, 'report.html'))).toBe(false);
  });

  it('an unknown format is a usage error naming the formats', async () => {
    const r = await runCli(['report', runDir, '--format', 'pdf']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('parity: PARITY_USAGE');
    expect(r.stderr).toContain('unknown format "pdf"; use md, html, junit, all');
  });
});

describe('rendering does not depend on when it happens', () => {
  afterAll(() => {
    vi.useRealTimers();
  });
  it('the same run.json renders the same bytes a year apart', () => {
    const run = failingRun();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const first = REPORTER_NAMES.map((n) => REPORTERS[n].render(run));
    vi.setSystemTime(new Date('2027-06-15T12:34:56Z'));
    const second = REPORTER_NAMES.map((n) => REPORTERS[n].render(structuredClone(run)));
    expect(second).toEqual(first);
    for (const text of first) expect(text).not.toMatch(/2026-01-01|2027-06-15/);
  });
});
