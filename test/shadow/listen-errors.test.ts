import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const noStack = (s: string) => expect(s).not.toMatch(/PARITY_HARNESS_ERROR|\n\s+at /);

/** `parity shadow` on an address it cannot listen on: a usage error naming the flag, not a stack trace, and a process that exits. */
describe('parity shadow --listen / --admin that cannot listen', () => {
  const ws = tempWorkspace();
  const backend = createServer((_req, res) => res.end('ok'));
  const taken = createServer();
  let takenPort = 0;
  let config = '';
  let policy = '';

  beforeAll(async () => {
    const port = await listen(backend);
    takenPort = await listen(taken);
    const target = (name: string, role: string) => ({ name, role, baseUrl: `http://127.0.0.1:${port}`, routes: { chat: 'POST /chat' }, stream: 'openai' });
    config = path.join(ws.dir, 'shadow.config.json');
    writeFileSync(config, JSON.stringify({ name: 'sh', targets: [target('base', 'baseline'), target('cand', 'candidate')], shadow: { window: '5s' } }));
    policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, 'minSamples: 5\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\n');
  });
  afterAll(() => {
    backend.close();
    taken.close();
  });

  it('--listen on a port in use: exit 3, PARITY_USAGE naming --listen, EADDRINUSE and the fix', async () => {
    const r = await runCli(['shadow', config, '--listen', `127.0.0.1:${takenPort}`, '--windows', '1', '--out', ws.out]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n--listen 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    noStack(r.stderr);
  });

  it('--admin equal to --listen is refused before anything listens', async () => {
    const r = await runCli(['shadow', config, '--listen', '127.0.0.1:45999', '--admin', '127.0.0.1:45999', '--windows', '1', '--out', ws.out]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n.*--admin.*--listen/);
    noStack(r.stderr);
  });

  it('--admin on a port in use, with a policy: the process prints a usage error and exits (it hung on the policy judge thread)', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'shadow', config, '--listen', '127.0.0.1:0', '--admin', `127.0.0.1:${takenPort}`, '--policy', policy, '--windows', '1', '--out', ws.out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | string>((resolve) => {
      const t = setTimeout(() => (child.kill('SIGKILL'), resolve('still running after 20 s')), 20_000);
      child.on('exit', (c) => (clearTimeout(t), resolve(c ?? -1)));
    });
    expect(code, err).toBe(3);
    expect(err).toMatch(/^parity: PARITY_USAGE\n--admin 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    noStack(err);
  }, 30_000);
});
