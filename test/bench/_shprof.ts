import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { freePort } from '../helpers/nginx.ts';
const ROOT = path.resolve(import.meta.dirname, '../..');
function listening(args: string[], re: RegExp) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise<{ child: typeof child; url: string }>((res) => child.stdout!.on('data', (d) => { const m = re.exec(String(d)); if (m) res({ child, url: m[1]! }); }));
}
const gap = { framing: 'openai', streamPath: '/chat-stream', tokens: 20, firstContentDelayMs: 20, interEventGapMs: 50, stampEvents: true };
const b = await listening(['--import', 'tsx', 'fixtures/backends/serve.ts', JSON.stringify(gap)], /listening (\S+)/);
const c = await listening(['--import', 'tsx', 'fixtures/backends/serve.ts', JSON.stringify(gap)], /listening (\S+)/);
const dir = mkdtempSync(path.join(os.tmpdir(), 'shprof-'));
const file = path.join(dir, 's.json');
writeFileSync(file, JSON.stringify({ name: 'p', targets: [
  { name: 'b', role: 'baseline', baseUrl: b.url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' },
  { name: 'c', role: 'candidate', baseUrl: c.url, routes: { chat: 'POST /chat-stream' }, stream: 'openai' }],
  shadow: { routes: { chat: { allowWrites: true } }, candidate: { concurrency: 400, queue: 1000 }, sample: Number(process.env.SAMPLE ?? 100) }, outDir: path.join(dir, 'r'), preflight: { retries: 0, interval: 10 } }));
const port = await freePort();
const extra = (process.env.PROF_FLAGS ?? '').split(' ').filter(Boolean);
const p = await listening(['--max-semi-space-size=64', ...extra, 'bin/parity.mjs', 'shadow', file, '--listen', `127.0.0.1:${port}`, '--quiet'], /listening on (\S+)/);
const pool = new Pool(p.url, { connections: 200 });
const end = Date.now() + Number(process.env.SECS ?? 10) * 1000;
let n = 0;
await Promise.all(Array.from({ length: 200 }, async () => {
  while (Date.now() < end) { await pool.request({ method: 'POST', path: '/chat-stream', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"message":"hi"}' }).then((r) => r.body.dump()); n++; }
}));
await pool.close();
const st = (await import('node:fs')).readFileSync(`/proc/${p.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
console.log('streams', n, 'cpu ms/stream', ((Number(st[11]) + Number(st[12])) * 10 / n).toFixed(2));
p.child.kill('SIGTERM');
await new Promise((r) => p.child.on('exit', r));
b.child.kill(); c.child.kill();
