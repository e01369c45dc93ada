import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * Live users' credentials often ride in the URL's query (`?access_token=…`, `?api_key=…`, a
 * presigned URL's `sig`). The shadow's `--capture` wrote the path as the user sent it, so every
 * user's token went into a file that travels (tickets, CI artifacts); and a backend whose error
 * quotes the URL (`500: upstream rejected /api/items?access_token=…`) put it into the window's
 * samples.ndjson. Now the capture holds `access_token=%5Bredacted%5D` (the rest of the path byte
 * for byte), the request's query credentials are scrubbed from its samples as its headers' are, the
 * baseline still gets the user's request as sent, and a replay of the capture runs.
 */
const SECRET = 'live-secret-123';
const SENT = `/api/items?access_token=${SECRET}&page=2`;
/**
 * Credentials in headers the contract artifacts' list (authorization, cookie, token, secret,
 * api-key, password) does not name: an Azure Functions key, a session id, an auth header of a
 * gateway. They went into the capture in clear; a header whose name is data stays as sent.
 */
const HEADER_SECRETS = { 'x-functions-key': 'fn-key-456', 'x-session-id': 'sess-789', 'x-auth-user': 'user-012' };
const DATA_HEADERS = { 'x-keyword': 'shoes', 'x-author': 'ann' };

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

/** A backend recording each raw request target; `fail`: answers 500 quoting the URL, as a proxy's or framework's error page does. */
async function backend(seen: string[], fail: boolean): Promise<string> {
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (fail) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`upstream rejected ${req.url}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ items: [1, 2], page: 2 }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
}

describe('credentials in a live request query string', () => {
  it('are [redacted] in the capture and scrubbed from the samples; the baseline gets the request as sent; the capture replays', async () => {
    const b: string[] = [];
    const c: string[] = [];
    const [bu, cu] = await Promise.all([backend(b, false), backend(c, true)]);
    const secrets = [SECRET, ...Object.values(HEADER_SECRETS)];
    const config: ConfigInput = {
      name: 'shadow query credentials',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: bu, routes: { items: 'GET /api/items' } },
        { name: 'node', role: 'candidate', baseUrl: cu, routes: { items: 'GET /api/items' } },
      ],
      shadow: { routes: { items: { kind: 'request' } }, window: '1s', abortCheck: 0 },
      load: { vus: 1, iterations: 1 },
      preflight: { retries: 0, interval: 10 },
    };
    const ws = tempWorkspace();
    const capture = path.join(ws.dir, 'capture.ndjson');
    const s = await startShadow(config, { windows: 1, capture });
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await request(`${s.url}${SENT}`, { headers: { ...HEADER_SECRETS, ...DATA_HEADERS } });
      bodies.push(await r.body.text());
    }
    const shadowRun = await s.done;

    // Inline: the user's request reaches the baseline byte for byte, and its answer reaches the user.
    expect(b).toEqual(Array(10).fill(SENT));
    expect(bodies).toEqual(Array(10).fill(JSON.stringify({ items: [1, 2], page: 2 })));
    // The copy is the same request (the candidate's answer quotes its URL, credential included).
    expect(c).toEqual(Array(10).fill(SENT));

    // The capture: the credential's value is the placeholder, percent-encoded; every other byte as sent.
    const lines = readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; headers: Record<string, string> });
    expect(lines).toHaveLength(10);
    for (const l of lines) {
      expect(l.path).toBe('/api/items?access_token=%5Bredacted%5D&page=2');
      // Credential headers by the words of their names (as query names), the name kept; data headers as sent.
      expect(l.headers).toMatchObject({ 'x-functions-key': '[redacted]', 'x-session-id': '[redacted]', 'x-auth-user': '[redacted]', ...DATA_HEADERS });
    }

    // The candidate's error message quoted the URL: scrubbed, the rest kept.
    const samples = readFileSync(path.join(s.dir, 'windows', '1', 'samples.ndjson'), 'utf8');
    expect(samples.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(samples).toContain('upstream rejected /api/items?access_token=[redacted]&page=2');
    for (const f of [...files(s.dir), capture]) for (const x of secrets) expect(readFileSync(f, 'utf8'), f).not.toContain(x);
    for (const x of secrets) expect(shadowRun.out + shadowRun.err).not.toContain(x);

    // `parity replay` of that capture runs: both targets get the placeholder (the replay's own credentials go in targets[].headers).
    const rb: string[] = [];
    const rc: string[] = [];
    const [rbu, rcu] = await Promise.all([backend(rb, false), backend(rc, false)]);
    const replayConfig = path.join(ws.dir, 'replay.config.json');
    writeFileSync(
      replayConfig,
      JSON.stringify({
        name: 'replay of a shadow capture',
        targets: [
          { name: 'base', role: 'baseline', baseUrl: rbu, routes: {} },
          { name: 'cand', role: 'candidate', baseUrl: rcu, routes: {} },
        ],
        preflight: { retries: 0, interval: 10 },
        outDir: path.join(ws.dir, 'replay-reports'),
      }),
    );
    const replay = await runCli(['replay', capture, '--config', replayConfig, '--speed', 'max', '--quiet'], {});
    expect(replay.code, replay.stderr + replay.stdout).not.toBe(3);
    expect(rb).toEqual(Array(10).fill('/api/items?access_token=%5Bredacted%5D&page=2'));
    expect(rc).toEqual(rb);
    const runJson = /run\.json: (.+)/.exec(replay.stdout)![1]!.trim();
    const run = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    expect(run.summaries[0]!.baseline.outcomes).toMatchObject({ ok: 10 });
    for (const f of files(path.dirname(runJson))) for (const x of secrets) expect(readFileSync(f, 'utf8'), f).not.toContain(x);
  }, 60_000);
});
