import { existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * A copy still in flight when the shadow stops is counted abandoned once the server stops waiting
 * for it. When it finishes later, its pair has no window left: it went into the closed window's
 * spool, which started a second spool beside the finished samples.ndjson (the first read turns a
 * spool into the samples file, in place of the finished one), and since the spool refuses late
 * pairs it was an unhandled error. Now the closed window does not take it, and the gates never see it.
 */
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function backend(delayMs: number): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a pair that finishes after the shadow stopped', () => {
  it('is abandoned, not written: the window keeps one samples file that matches its run.json', async () => {
    const [b, c] = await Promise.all([backend(0), backend(3_500)]);
    const config: ConfigInput = {
      name: 'late pairs',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: b, routes: { items: 'GET /items' } },
        { name: 'node', role: 'candidate', baseUrl: c, routes: { items: 'GET /items' } },
      ],
      shadow: { routes: { items: { kind: 'request' } }, window: '1m' },
      load: { vus: 1, iterations: 1, timeouts: { total: '10s' } },
      preflight: { retries: 0, interval: 10 },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const s = await startShadow(config);
      for (let i = 0; i < 3; i++) await request(`${s.url}/items`).then((r) => r.body.dump());
      // Ctrl-C: the server waits 2 s for the copies in flight (the candidate answers after 3.5 s).
      const { code } = await s.stop();
      expect(code).toBe(2);
      // The late copies finish now.
      await new Promise((r) => setTimeout(r, 2_500));
      const dir = path.join(s.dir, 'windows', '1');
      const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { samples: { pairs: number }; shadow: { abandoned: number } };
      expect(run.shadow.abandoned).toBe(3);
      expect(run.samples.pairs).toBe(0);
      expect(readdirSync(dir).filter((f) => f.endsWith('.spool'))).toEqual([]);
      expect(existsSync(path.join(dir, 'samples.ndjson'))).toBe(true);
      expect(readFileSync(path.join(dir, 'samples.ndjson'), 'utf8')).toBe('');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 30_000);
});
