import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
const ROOT = '/work/main';
function spawnListening(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => { let out = ''; child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = pattern.exec(out); if (m) resolve({ child, url: m[1]! }); }); });
}
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const gap = { framing: 'openai', streamPath: '/chat-stream', tokens: 20, firstContentDelayMs: 20, interEventGapMs: 50, stampEvents: true };
const b = await spawnListening(['--import', 'tsx', 'fixtures/backends/serve.ts', JSON.stringify(gap)], /listening (\S+)/);
const c = await spawnListening(['--import', 'tsx', 'fixtures/backends/serve.ts', JSON.stringify(gap)], /listening (\S+)/);
for (const mode of (process.env.MODES ?? 'healthy,down').split(',')) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shdbg-'));
  const file = path.join(dir, 'shadow.json');
  writeFileSync(file, JSON.stringify({ name: 'p', targets: [
    { name: 'b', role: 'baseline', baseUrl: b.url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' },
    { name: 'c', role: 'candidate', baseUrl: mode === 'down' ? 'http://127.0.0.1:9' : c.url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' }],
    shadow: { routes: { chat: { allowWrites: true } }, candidate: { concurrency: 400, queue: 1000 } }, outDir: path.join(dir, 'r'), preflight: { retries: 0, interval: 10 } }));
  const sh = await spawnListening(['bin/parity.mjs', 'shadow', file, '--listen', '127.0.0.1:0', '--quiet'], /listening on (\S+)/);
  const pool = new Pool(sh.url, { connections: 200 });
  const firsts: number[] = [];
  const c0 = cpu(sh.child.pid!); let n = 0;
  const start = performance.now(); const end = start + 7000;
  await Promise.all(Array.from({ length: Number(process.env.N ?? 100) }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await pool.request({ method: 'POST', path: '/chat-stream', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"message":"hi"}' });
      let first = -1;
      for await (const _ of r.body) if (first < 0) first = performance.now() - t0;
      if (t0 - start > 1500) { firsts.push(first); n++; }
    }
  }));
  firsts.sort((a, b) => a - b);
  console.log(mode, 'streams', n, 'first p50', firsts[firsts.length >> 1]!.toFixed(1), 'p99', firsts[Math.floor(firsts.length * 0.99)]!.toFixed(1), 'cpu ms/stream', ((cpu(sh.child.pid!) - c0) * 1000 / n).toFixed(2));
  await pool.close();
  sh.child.kill('SIGINT'); await new Promise((r) => sh.child.once('exit', r));
}
b.child.kill(); c.child.kill();
