import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CapturedRequest } from '../../harness/sources/replay/capture.ts';
import { openCapture } from '../../harness/sources/replay/detect.ts';
import { startCountingServer } from '../helpers/counting-server.ts';
import { freePort, startNginx } from '../helpers/nginx.ts';

/** The log_format the README documents, verbatim. */
const README_FORMAT = () => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const m = /```nginx\n(log_format parity escape=json[\s\S]*?;)\naccess_log/.exec(readme);
  if (!m) throw new Error('README has no nginx log_format parity block');
  return m[1]!;
};

// No skip: .ci/run installs nginx-light, and startNginx fails naming the package when it is missing.
describe("nginx's escape=json access log (the README's log_format)", () => {
  it('a real nginx logs requests with bodies that parity replay reads back as sent', async () => {
    const upstream = await startCountingServer();
    const port = await freePort();
    const nginx = await startNginx(
      (dir) => `${README_FORMAT()}\n  server {\n    listen 127.0.0.1:${port};\n    access_log ${dir}/parity.log parity;\n    location / { proxy_pass ${upstream.url}; }\n  }`,
      port,
    );
    try {
      const sent = [
        { method: 'GET', path: '/api/items?q=a%20b', body: undefined },
        { method: 'POST', path: '/chat-stream', body: '{"messages":[{"role":"user","content":"quote \\" and é\\nnew line"}]}' },
        { method: 'PUT', path: '/api/items/7', body: 'plain text body' },
      ];
      for (const r of sent) {
        const res = await fetch(`http://127.0.0.1:${port}${r.path}`, { method: r.method, headers: { 'content-type': 'application/json', accept: 'application/json' }, ...(r.body ? { body: r.body } : {}) });
        await res.text();
        await sleep(20);
      }
      const log = path.join(nginx.dir, 'parity.log');
      // nginx writes the line when the request ends; give it a moment.
      for (let i = 0; i < 50 && (!existsSync(log) || readFileSync(log, 'utf8').trim().split('\n').length < sent.length); i++) await sleep(20);
      const c = await openCapture(log);
      expect(c.format).toBe('access-log');
      const got: CapturedRequest[] = [];
      for await (const e of c.entries()) if (e.ok) got.push(e.req);
      expect(got.map((r) => ({ method: r.method, path: r.path, body: r.body }))).toEqual(sent);
      expect(got[1]!.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' });
      expect(got[1]!.t - got[0]!.t).toBeGreaterThanOrEqual(15);
    } finally {
      await nginx.close();
      await upstream.close();
    }
  }, 30_000);

  it('a raw UTF-8 path is read back as the bytes sent; a body nginx buffered to a file (an empty $request_body) is caught by content_length, never replayed empty', async () => {
    const upstream = await startCountingServer();
    const port = await freePort();
    const nginx = await startNginx(
      (dir) => `${README_FORMAT()}\n  server {\n    listen 127.0.0.1:${port};\n    client_body_buffer_size 1k;\n    access_log ${dir}/parity.log parity;\n    location / { proxy_pass ${upstream.url}; }\n  }`,
      port,
    );
    try {
      // Raw bytes on the wire (fetch would percent-encode the path): nginx logs them as they came.
      const raw = (head: Buffer, body = '') =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.concat([head, Buffer.from(`\r\nhost: x\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)])));
          s.on('data', () => undefined).on('close', () => resolve()).on('error', reject);
        });
      await raw(Buffer.from('GET /search?q=café HTTP/1.1', 'utf8'));
      await raw(Buffer.from('POST /upload HTTP/1.1'), `{"blob":"${'x'.repeat(4000)}"}`);
      await raw(Buffer.from('POST /small HTTP/1.1'), '{"ok":true}');
      const log = path.join(nginx.dir, 'parity.log');
      for (let i = 0; i < 50 && (!existsSync(log) || readFileSync(log, 'utf8').trim().split('\n').length < 3); i++) await sleep(20);
      const got: { path?: string; body?: string | Buffer | undefined; bad?: string }[] = [];
      for await (const e of (await openCapture(log)).entries()) got.push(e.ok ? { path: e.req.path, body: e.req.body, ...(e.req.unusable ? { bad: e.req.unusable } : {}) } : { bad: e.bad.reason });
      expect(Buffer.from(got[0]!.path!, 'latin1').equals(Buffer.from('/search?q=café', 'utf8'))).toBe(true);
      expect(got[1]).toMatchObject({ path: '/upload', bad: expect.stringMatching(/0 body bytes where its content_length says 4011: .*client_body_buffer_size/) });
      expect(got[2]).toEqual({ path: '/small', body: '{"ok":true}' });
    } finally {
      await nginx.close();
      await upstream.close();
    }
  }, 30_000);

  it('a request is timed by its arrival (msec − request_time), not by when nginx logged its end: a slow request keeps its place before a later fast one', async () => {
    const upstream = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), req.url === '/slow' ? 400 : 0);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = await freePort();
    const nginx = await startNginx(
      (dir) => `${README_FORMAT()}\n  server {\n    listen 127.0.0.1:${port};\n    access_log ${dir}/parity.log parity;\n    location / { proxy_pass http://127.0.0.1:${(upstream.address() as AddressInfo).port}; }\n  }`,
      port,
    );
    try {
      const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
      await sleep(100);
      await (await fetch(`http://127.0.0.1:${port}/fast`)).text();
      await slow;
      const log = path.join(nginx.dir, 'parity.log');
      for (let i = 0; i < 50 && (!existsSync(log) || readFileSync(log, 'utf8').trim().split('\n').length < 2); i++) await sleep(20);
      const got: CapturedRequest[] = [];
      for await (const e of (await openCapture(log)).entries()) if (e.ok) got.push(e.req);
      // nginx logged the fast one first (it ended first)...
      expect(got.map((r) => r.path)).toEqual(['/fast', '/slow']);
      const [fast, slowReq] = got;
      // ...but the slow one arrived ~100 ms before it (by $msec alone: ~300 ms after).
      expect(fast!.t - slowReq!.t).toBeGreaterThanOrEqual(60);
      expect(fast!.t - slowReq!.t).toBeLessThanOrEqual(250);
    } finally {
      await nginx.close();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  }, 30_000);
});
