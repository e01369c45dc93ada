import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `parity shadow` with an --out or --capture it cannot write: exit 3 PARITY_OUTPUT_FAILED naming
 * the path, before it listens (README "Errors that say what happened"). A --capture naming a
 * folder crashed the process on an unhandled stream 'error' with exit 1 (read as "fail" by a
 * pipeline) after it had started listening; --out or --capture under a file gave a
 * PARITY_HARNESS_ERROR stack, and with a policy the process never exited (its judge thread open).
 */
describe('parity shadow output that cannot be written', () => {
  const ws = tempWorkspace();
  const backend = createServer((_req, res) => res.end('ok'));
  let config = '';
  let policy = '';
  const aFile = path.join(ws.dir, 'a-file');
  const aFolder = path.join(ws.dir, 'a-folder');

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const target = (name: string, role: string) => ({ name, role, baseUrl: url, routes: { chat: 'POST /chat' }, stream: 'openai' });
    config = path.join(ws.dir, 'shadow.config.json');
    writeFileSync(config, JSON.stringify({ name: 'sh', targets: [target('base', 'baseline'), target('cand', 'candidate')], shadow: { window: '1s', routes: { chat: { allowWrites: true } } } }));
    policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, 'minSamples: 5\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\n');
    writeFileSync(aFile, 'not a folder');
    mkdirSync(aFolder);
  });
  afterAll(() => backend.close());

  const shadow = (extra: string[]) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'shadow', config, '--listen', '127.0.0.1:0', '--policy', policy, '--windows', '1', '--duration', '1s', ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise<{ code: number | string; out: string; err: string }>((resolve) => {
      const t = setTimeout(() => (child.kill('SIGKILL'), resolve({ code: 'still running after 20 s', out, err })), 20_000);
      child.on('exit', (c) => (clearTimeout(t), resolve({ code: c ?? -1, out, err })));
    });
  };

  it('--id "..": exit 3 PARITY_USAGE (it wrote the windows into the folder above --out)', async () => {
    const r = await runCli(['shadow', config, '--listen', '127.0.0.1:0', '--windows', '1', '--duration', '1s', '--out', ws.out, '--id', '..']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n--id/);
  });

  it('a capture write that fails later (disk full: /dev/full) stops the capture with one line; the shadow goes on and exits 0', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'shadow', config, '--listen', '127.0.0.1:0', '--windows', '1', '--duration', '3s', '--out', ws.out, '--capture', '/dev/full'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const deadline = Date.now() + 20_000;
    while (!/listening on (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (\S+)/.exec(out)![1]!;
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).text();
    expect(await exited, err).toBe(0);
    expect(err.match(/PARITY_OUTPUT_FAILED/g)).toHaveLength(1);
    expect(err).toMatch(/ENOSPC.*capturing stopped, the shadow goes on/);
  }, 30_000);

  for (const [name, extra, errno] of [
    ['--capture naming a folder', () => ['--out', ws.out, '--capture', aFolder], 'EISDIR'],
    ['--capture under a file', () => ['--out', ws.out, '--capture', path.join(aFile, 'c.ndjson')], 'EEXIST|ENOTDIR'],
    ['--out naming a file', () => ['--out', aFile], 'ENOTDIR'],
  ] as const) {
    it(`${name}: exit 3 PARITY_OUTPUT_FAILED (${errno}) before listening, no stack, the process exits`, async () => {
      const r = await shadow(extra());
      expect(r.code, r.err).toBe(3);
      expect(r.err).toMatch(new RegExp(`^parity: PARITY_OUTPUT_FAILED\\n.*(${errno})`));
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).not.toMatch(/listening on/);
    }, 30_000);
  }
});
