import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startCountingServer } from '../helpers/counting-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GB = 1024 ** 3;
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-1gb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Peak resident set (VmHWM, bytes) of a process, read from /proc while it runs. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * A 1 GiB parity capture: 1 MiB blocks of 8 KiB-body POST lines to /bulk/*, written 1024 times,
 * with a few GETs to /keep/* at the start and the end. The replay keeps only those (--include),
 * so every byte is read and parsed while the traffic stays small.
 */
function writeCapture(file: string): void {
  const t = Date.parse('2026-11-29T14:00:00Z');
  const line = (i: number, method: string, p: string, body?: string) => JSON.stringify({ t: t + i, requestId: `r${i}`, method, path: p, headers: { accept: 'application/json' }, ...(body ? { body } : {}) }) + '\n';
  const body = JSON.stringify({ blob: 'x'.repeat(8 * 1024) });
  let block = '';
  while (Buffer.byteLength(block) < 1024 * 1024) block += line(10, 'POST', '/bulk/item', body);
  const blockBuf = Buffer.from(block);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < 5; i++) writeSync(fd, line(i, 'GET', `/keep/${i}`));
    for (let written = 0; written < GB; written += blockBuf.length) writeSync(fd, blockBuf);
    for (let i = 5; i < 10; i++) writeSync(fd, line(20 + i, 'GET', `/keep/${i}`));
  } finally {
    closeSync(fd);
  }
}

describe('a 1 GB capture', () => {
  it('replays with parity under 300 MB of RSS (every entry read and filtered, 10 requests sent)', async () => {
    const capture = path.join(dir, 'big.ndjson');
    writeCapture(capture);
    expect(statSync(capture).size).toBeGreaterThan(GB);
    const [a, b] = await Promise.all([startCountingServer(), startCountingServer()]);
    try {
      const config = path.join(dir, 'cfg.json');
      writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
      writeFileSync(config, JSON.stringify({ name: 'big', targets: [{ name: 'base', role: 'baseline', baseUrl: a.url, routes: { chat: 'POST /chat' } }, { name: 'cand', role: 'candidate', baseUrl: b.url, routes: { chat: 'POST /chat' } }], scenarios: [{ name: 's', route: 'chat', prompts: path.join(dir, 'prompts.jsonl') }], load: { vus: 1, iterations: 1 }, outDir: path.join(dir, 'reports') }));
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'replay', capture, '--config', config, '--include', '/keep/*', '--speed', 'max', '--quiet', '--run-id', 'big'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 100);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      clearInterval(timer);
      expect(code, out).toBe(0);
      expect(peak).toBeGreaterThan(10 * 1024 * 1024);
      expect(peak, `peak RSS ${Math.round(peak / 2 ** 20)} MiB`).toBeLessThan(300 * 1024 * 1024);
      const run = JSON.parse(readFileSync(path.join(dir, 'reports/big/run.json'), 'utf8'));
      expect(run.replay.read).toBeGreaterThan(100_000);
      expect(run.replay).toMatchObject({ scheduled: 10, bad: 0, skipped: { filtered: run.replay.read - 10 } });
      expect([a.count(), b.count()]).toEqual([10, 10]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 300_000);
});
