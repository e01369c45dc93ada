import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { SPOOL_SUFFIX } from '../../harness/run/sample-spool.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';
import { spooledPairs } from '../helpers/spool.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * A second run with the --run-id of a run that did not finish (killed, or still running) appended
 * its pairs to that run's samples spool: the killed run's measured pairs became part of the new
 * run's samples.ndjson (which then disagreed with its own run.json), and its run.json was
 * overwritten, so it could never be recovered.
 */
describe('--run-id of a run folder that still holds a samples spool', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  beforeAll(async () => {
    server = await startSseServer({ delayMs: 5 });
  });
  afterAll(() => server.close());

  it('is refused before any traffic (exit 3, PARITY_USAGE); the spool is kept and parity report still recovers it', async () => {
    const ws = sseWorkspace(server.url, { vus: 2, duration: '15s', iterations: undefined });
    const config = ws.configFile;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', config, '--out', ws.out, '--run-id', 'nightly', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const samples = path.join(ws.out, 'nightly', 'samples.ndjson');
    const deadline = Date.now() + 30_000;
    while (spooledPairs(samples) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const spool = readFileSync(samples + SPOOL_SUFFIX);
    const killed = spooledPairs(samples);
    expect(killed).toBeGreaterThanOrEqual(20);

    const again = await runCli(['run', config, '--out', ws.out, '--run-id', 'nightly', '--quiet']);
    expect(again.code, again.stdout + again.stderr).toBe(3);
    expect(again.stderr).toMatch(/PARITY_USAGE/);
    expect(again.stderr).toMatch(/spool/);
    expect(again.stderr).toMatch(/--run-id/);
    // Nothing of the killed run was touched: its spool is byte for byte what it measured.
    expect(readFileSync(samples + SPOOL_SUFFIX).equals(spool)).toBe(true);
    expect(existsSync(samples)).toBe(false);

    const report = await runCli(['report', path.join(ws.out, 'nightly', 'run.json')]);
    expect(report.code, report.stderr).toBe(0);
    const run = JSON.parse(readFileSync(path.join(ws.out, 'nightly', 'run.json'), 'utf8')) as RunResult;
    expect(run.samples.pairs).toBe(killed);
    expect(readFileSync(samples, 'utf8').split('\n').filter(Boolean)).toHaveLength(killed);
  }, 60_000);

  it('a run with that id still starting (no pair spooled yet) is refused too: its writer is alive', async () => {
    const ws = sseWorkspace(server.url, { vus: 1, iterations: 2 });
    // Another process owns the folder (as a run does from its start to its final run.json).
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      mkdirSync(path.join(ws.out, 'same'), { recursive: true });
      writeFileSync(path.join(ws.out, 'same', '.parity-running'), JSON.stringify({ pid: owner.pid, host: hostname() }));
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'same', '--quiet']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n.*still running/);
      expect(existsSync(path.join(ws.out, 'same', 'run.json'))).toBe(false);
    } finally {
      owner.kill('SIGKILL');
    }
    // Once that process is gone, the id is free.
    await new Promise((r) => owner.once('exit', r));
    const again = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'same', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
  });
});
