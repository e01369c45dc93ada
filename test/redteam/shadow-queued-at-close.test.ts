import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startShadow } from '../helpers/shadow.ts';

/**
 * Copies waiting in the candidate's queue when the shadow stops were dropped without being
 * counted: neither `dropped` nor `abandoned`. A slow candidate whose queue was full at the last
 * window's close lost those copies silently, so the window's share of dropped copies (the rule
 * that keeps an unfair sample from passing) was computed without them.
 */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function server(delayMs: number): Promise<string> {
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), delayMs));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('shadow: copies still queued at the close', () => {
  it('are counted as dropped, so the window cannot pass on the few that ran', async () => {
    const baseline = await server(0);
    const candidate = await server(1200);
    const s = await startShadow(
      {
        name: 'queued',
        targets: [
          { name: 'old', role: 'baseline', baseUrl: baseline, routes: { item: 'GET /item' } },
          { name: 'new', role: 'candidate', baseUrl: candidate, routes: { item: 'GET /item' } },
        ],
        shadow: { candidate: { concurrency: 1, queue: 30 }, window: '1500ms' },
        load: { vus: 1, iterations: 1, timeouts: { total: '10s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { windows: 1 },
    );
    const answers = await Promise.all(Array.from({ length: 12 }, () => request(`${s.url}/item`).then(async (r) => (await r.body.text(), r.statusCode))));
    expect(answers.every((c) => c === 200)).toBe(true);
    const { code } = await s.done;
    expect(code).toBe(0);
    const run = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(run.complete).toBe(true);
    expect(run.shadow.requests).toBe(12);
    // Every copy is a pair, a dropped copy or an abandoned one: none vanishes.
    expect(run.samples.pairs + run.shadow.dropped + run.shadow.abandoned).toBe(12);
    expect(run.shadow.dropped).toBeGreaterThan(0);
    expect(run.harness.warnings.some((w: string) => /copies .* dropped/.test(w))).toBe(true);
  }, 30_000);
});
