import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { nginxLines } from '../helpers/replay.ts';

/**
 * An nginx access log logs `$request_uri`, query included: users' `?api_key=…` come with it. A
 * replay sends them as recorded (the log is the user's file), but parity's outputs must not hold
 * them: a candidate whose error quotes the URL put the key into samples.ndjson, and `--compare`'s
 * drift artifacts (diffs/*.json, their curl line) wrote each request's URL in clear. The request's
 * query credentials are now its own credentials, scrubbed as its headers' are.
 */
const KEY = 'nginx-user-key-4567';

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
}

describe('parity replay of traffic with credentials in its query', () => {
  it('sends them as recorded; no output holds them (error messages, --compare drift artifacts)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-query-'));
    const seen: string[] = [];
    const base = await serve((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 7, name: 'a' }));
    });
    // The candidate renames a field (drift, so artifacts are written) and fails one request in four quoting its URL.
    let n = 0;
    const cand = await serve((req, res) => {
      if (n++ % 4 === 0) res.writeHead(502, { 'content-type': 'text/plain' }).end(`bad gateway for ${req.url}`);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 7, title: 'a' }));
    });
    const log = path.join(dir, 'access.log');
    const T = Date.now();
    writeFileSync(log, nginxLines(Array.from({ length: 12 }, (_, i) => ({ t: T + i, method: 'GET', path: `/api/items/7?api_key=${KEY}&page=${i}`, headers: { accept: 'application/json' } }))));
    const config = path.join(dir, 'replay.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'replay query credentials',
        targets: [
          { name: 'base', role: 'baseline', baseUrl: base, routes: {} },
          { name: 'cand', role: 'candidate', baseUrl: cand, routes: {} },
        ],
        preflight: { retries: 0, interval: 10 },
        outDir: path.join(dir, 'reports'),
      }),
    );
    const r = await runCli(['replay', log, '--config', config, '--quiet', '--speed', 'max', '--compare', 'all'], {});
    expect(r.code, r.stderr + r.stdout).not.toBe(3);
    // Sent as recorded.
    expect(seen).toHaveLength(12);
    expect(seen[0]).toBe(`/api/items/7?api_key=${KEY}&page=0`);
    const runJson = /run\.json: (.+)/.exec(r.stdout)![1]!.trim();
    const run = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    expect(run.summaries[0]!.candidate.outcomes).toMatchObject({ http_error: 3 });
    expect(run.contracts?.[0]?.drift.length).toBeGreaterThan(0);
    const written = files(path.dirname(runJson));
    const samples = readFileSync(written.find((f) => f.endsWith('samples.ndjson'))!, 'utf8');
    expect(samples).toContain('bad gateway for /api/items/7?api_key=[redacted]&page=');
    expect(written.some((f) => f.includes(`${path.sep}diffs${path.sep}`))).toBe(true);
    for (const f of written) expect(readFileSync(f, 'utf8'), f).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  }, 60_000);
});
