import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * README (Raw-throughput mode, Exit codes): "exit 2 when interrupted (raw.json then says
 * complete: false)". Only SIGINT was handled: a SIGTERM (a CI job cancelled, a pod stopped)
 * killed parity raw outright, exit 143, and no raw.json held what it had measured.
 */
describe('parity raw stopped by SIGTERM', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url);
  });
  afterAll(() => server.close());

  it('exits 2 and writes raw.json with complete: false', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'raw', ws.configFile, '--duration', '30s', '--connections', '2', '--out', ws.out, '--run-id', 'raw-term'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const deadline = Date.now() + 30_000;
    while (server.count() < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.count()).toBeGreaterThanOrEqual(50);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, out).toBe(2);
    const raw = JSON.parse(readFileSync(path.join(ws.out, 'raw-term', 'raw.json'), 'utf8')) as { complete: boolean };
    expect(raw.complete).toBe(false);
  }, 60_000);
});
