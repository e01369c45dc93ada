import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Spawns bin/parity.mjs; `signal` it once `ready()` holds. Resolves to the exit code, the signal that killed it, and all it printed. */
async function signalWhen(args: string[], ready: () => boolean, signal: NodeJS.Signals): Promise<{ code: number | null; killedBy: NodeJS.Signals | null; out: string; err: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  const deadline = Date.now() + 30_000;
  while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(ready(), `never ready: ${out}${err}`).toBe(true);
  child.kill(signal);
  const [code, killedBy] = await exited;
  return { code, killedBy, out, err };
}

/**
 * README "Exit codes": 2 is "inconclusive, or interrupted (Ctrl-C / SIGTERM)". A signal that came
 * before a command installed its own handlers (while a config module loaded, during `parity
 * shadow`'s or `parity raw`'s preflight) got Node's default instead: killed by the signal, exit
 * 143 or 130, which a pipeline reads as neither a verdict nor an interruption.
 */
describe('a signal before a command takes over its signals', () => {
  let healthCalls = 0;
  const server = createServer((req, res) => {
    if (req.url === '/health') healthCalls++;
    res.writeHead(req.url === '/health' ? 503 : 404).end();
  });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('SIGTERM while a TypeScript config module loads: exit 2, "nothing was measured"', async () => {
    const loading = path.join(ws.dir, 'loading');
    const config = path.join(ws.dir, 'slow.config.mts');
    const cfg = streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile });
    // The module says it is loading, then awaits (a slow secret store, say) well past the test.
    writeFileSync(config, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(loading)}, '1');\nawait new Promise((r) => setTimeout(r, 20_000));\nexport default ${JSON.stringify(cfg)};\n`);
    const r = await signalWhen(['run', config, '--out', ws.out, '--quiet'], () => existsSync(loading), 'SIGTERM');
    expect(r.killedBy, r.err).toBeNull();
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/parity: SIGTERM: stopped at once[^\n]*nothing was measured/);
    expect(existsSync(ws.out) ? readdirSync(ws.out) : []).toEqual([]);
  }, 40_000);

  it('SIGTERM and SIGINT during parity shadow\'s preflight retries: exit 2, nothing measured, not 143 / 130', async () => {
    const cfg = streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile });
    cfg.targets[0]!.health = ['/health'];
    cfg.preflight = { retries: 100, interval: '300ms' };
    const config = path.join(ws.dir, 'shadow.config.json');
    writeFileSync(config, JSON.stringify(cfg));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const before = healthCalls;
      const r = await signalWhen(['shadow', config, '--listen', '127.0.0.1:0', '--out', ws.out, '--quiet'], () => healthCalls >= before + 2, signal);
      expect(r.killedBy, r.err).toBeNull();
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(new RegExp(`parity: ${signal}: stopped at once[^\\n]*nothing was measured`));
      expect(r.err).not.toMatch(/PARITY_PREFLIGHT_FAILED/);
      expect(r.out).not.toMatch(/listening/);
    }
  }, 60_000);
});
