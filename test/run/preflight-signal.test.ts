import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * SIGTERM while preflight waits to retry a health route that is not up yet (a deploy still
 * starting): the run was interrupted (exit 2, README "Exit codes"), not a failed preflight. It
 * exited 3 with PARITY_PREFLIGHT_FAILED "after N attempts", its retries cut short by the signal.
 */
describe('SIGTERM during preflight retries', () => {
  let healthCalls = 0;
  const server = createServer((req, res) => {
    if (req.url === '/health') healthCalls++;
    res.writeHead(req.url === '/health' ? 503 : 404).end();
  });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile, load: { vus: 1, iterations: 2 } });
    cfg.targets[0]!.health = ['/health'];
    cfg.preflight = { retries: 100, interval: '500ms' };
    writeFileSync(ws.configFile, JSON.stringify(cfg));
  });
  afterAll(() => server.close());

  it('exits 2 with run.json incomplete "interrupted", not 3 PARITY_PREFLIGHT_FAILED', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', ws.configFile, '--out', ws.out, '--run-id', 'pre', '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const deadline = Date.now() + 30_000;
    while (healthCalls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(healthCalls).toBeGreaterThanOrEqual(2);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, out).toBe(2);
    expect(out).not.toMatch(/PARITY_PREFLIGHT_FAILED/);
    const run = JSON.parse(readFileSync(path.join(ws.out, 'pre', 'run.json'), 'utf8')) as RunResult;
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toBe('interrupted');
    expect(run.load.iterations).toBe(0);
  }, 40_000);
});
