import { existsSync, readFileSync } from 'node:fs';
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
});
