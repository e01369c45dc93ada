import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { SPOOL_SUFFIX } from '../../harness/run/sample-spool.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';
import { spooledPairs } from '../helpers/spool.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `parity report` / `parity gate` on the run.json of a run that is still going (a dashboard job, a
 * second CI step) took it for a killed run and "recovered" it: converted and removed the spool
 * under the running process, which then ended in a harness error (exit 3, ENOENT on its spool)
 * with only the pairs measured before the report; every later pair was lost.
 */
describe('parity report / gate on a run that is still running', () => {
  const ITERATIONS = 600;
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  beforeAll(async () => {
    server = await startSseServer({ delayMs: 5 });
    ws = sseWorkspace(server.url, { vus: 2, iterations: ITERATIONS });
  });
  afterAll(() => server.close());

  it('is refused (exit 3, PARITY_USAGE, spool untouched); the run finishes with every pair', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', ws.configFile, '--out', ws.out, '--run-id', 'live', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const dir = path.join(ws.out, 'live');
    const samples = path.join(dir, 'samples.ndjson');
    const deadline = Date.now() + 30_000;
    while (spooledPairs(samples) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(spooledPairs(samples)).toBeGreaterThanOrEqual(20);

    const report = await runCli(['report', path.join(dir, 'run.json')]);
    const gate = await runCli(['gate', path.join(dir, 'run.json'), '--policy', 'seed-000-stage-b']);
    const stillThere = existsSync(samples + SPOOL_SUFFIX);
    const code = await exited;

    expect(report.code, report.stderr).toBe(3);
    expect(report.stderr).toMatch(/^parity: PARITY_USAGE\n.*still running/);
    expect(gate.code, gate.stderr).toBe(3);
    expect(gate.stderr).toMatch(/still running/);
    expect(stillThere).toBe(true);
    expect(code, out).toBe(0);
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunResult;
    expect(run.complete).toBe(true);
    expect(run.samples.pairs).toBe(ITERATIONS);
    expect(readFileSync(samples, 'utf8').split('\n').filter(Boolean)).toHaveLength(ITERATIONS);
    // A finished run is read as before.
    expect((await runCli(['report', path.join(dir, 'run.json')])).code).toBe(0);
  }, 60_000);
});
