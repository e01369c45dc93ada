import { readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * Shadow compares real users' requests, with their own credentials (Authorization, cookies), which
 * the inline proxy forwards to the baseline. A backend that echoes a credential in an error body
 * (`HTTP 401: token … expired`) put it into the sample's error message: into the window's
 * samples.ndjson, its run.json and reports. Secrets never reach an output: the live request's
 * credentials are scrubbed from its pair's samples, as the config's own secrets are, in every
 * form the scrubber knows (token parts, JSON-escaped, percent-encoded).
 */
const TOKEN = 'live-user-token-9f8e7d6c';
const COOKIE = 'cookie-value-5a4b3c2d';

async function echoingBackend(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization;
    res.writeHead(401, { 'content-type': 'application/json' });
    // Echoes the token part only (the scheme dropped), and the cookie's value percent-encoded.
    res.end(JSON.stringify({ error: auth ? `token ${auth.split(' ')[1]} expired` : 'no token', cookie: encodeURIComponent(String(req.headers.cookie ?? '')) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
}

describe('secrets in shadow outputs', () => {
  it("a live request's Authorization token and cookie echoed by a backend reach no file of the shadow run", async () => {
    const [b, c] = await Promise.all([echoingBackend(), echoingBackend()]);
    closers.push(b.close, c.close);
    const config: ConfigInput = {
      name: 'shadow secrets',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: b.url, routes: { me: 'GET /api/me' }, stream: 'named-events' },
        { name: 'node', role: 'candidate', baseUrl: c.url, routes: { me: 'GET /api/me' }, stream: 'named-events' },
      ],
      // The candidate gets the cookie too (allowed), so both sides echo a credential.
      shadow: { routes: { me: { kind: 'request' } }, allowHeaders: ['cookie'], window: '1s', abortCheck: 0 },
      load: { vus: 1, iterations: 1 },
      preflight: { retries: 0, interval: 10 },
    };
    const capture = path.join(tempWorkspace().dir, 'capture.ndjson');
    const s = await startShadow(config, { windows: 1, capture });
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await request(`${s.url}/api/me`, { headers: { authorization: `Bearer ${TOKEN}`, cookie: `sid=${COOKIE}` } });
      bodies.push(await r.body.text());
    }
    const { code } = await s.done;
    // The client still gets the baseline's answer as sent (the proxy scrubs outputs, not traffic).
    expect(bodies[0]).toContain(TOKEN);
    expect(code).not.toBe(3);
    const written = [...files(s.dir), capture];
    const samples = readFileSync(path.join(s.dir, 'windows', '1', 'samples.ndjson'), 'utf8');
    expect(samples.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(samples).toContain('[redacted]');
    // The capture keeps the allowed header's name for replay, never its value (a replay's config sets real credentials per target).
    const captured = readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { headers: Record<string, string> });
    expect(captured).toHaveLength(20);
    expect(captured[0]!.headers.cookie).toBe('[redacted]');
    for (const f of written) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toContain(TOKEN);
      expect(text, f).not.toContain(COOKIE);
    }
  });
});
