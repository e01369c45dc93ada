import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { sendOrder } from '../../harness/probes/send-order.ts';
import { runParity } from '../../harness/run/engine.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * The two requests of a pair leave one after the other in the same tick. The request and flow
 * paths (and replay) always sent the baseline's first: on backends that share anything (a host,
 * a database, one server here) the candidate's request queued behind the baseline's in every
 * pair, a bias the gates read as the candidate's. The stream path already alternated. Two
 * servers in one process log which side of each request id arrived first: over a run, each side
 * must be first in about half the pairs (the first request written arrives first nearly always
 * on loopback, so without alternation the baseline is first in ~100%).
 */
const arrivals: { requestId: string; side: 'a' | 'b' }[] = [];
const servers: http.Server[] = [];
let urls: string[] = [];

function server(side: 'a' | 'b'): Promise<string> {
  const s = http.createServer((req, res) => {
    if (req.method !== 'HEAD' && req.url !== '/health') arrivals.push({ requestId: String(req.headers['x-request-id'] ?? ''), side });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"x1","ok":true}');
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

/** Of the request ids both sides answered, the share whose baseline ('a') request arrived first. */
function baselineFirstShare(prefix: string): { pairs: number; share: number } {
  const first = new Map<string, 'a' | 'b'>();
  const seen = new Map<string, number>();
  for (const a of arrivals) {
    if (!a.requestId.startsWith(prefix)) continue;
    if (!first.has(a.requestId)) first.set(a.requestId, a.side);
    seen.set(a.requestId, (seen.get(a.requestId) ?? 0) + 1);
  }
  const both = [...first].filter(([id]) => seen.get(id) === 2);
  return { pairs: both.length, share: both.filter(([, s]) => s === 'a').length / both.length };
}

const targets = () => [
  { name: 'old', role: 'baseline' as const, baseUrl: urls[0]!, routes: { item: 'GET /items/1', create: 'POST /items' } },
  { name: 'new', role: 'candidate' as const, baseUrl: urls[1]!, routes: { item: 'GET /items/1', create: 'POST /items' } },
];

async function run(scenarios: ConfigInput['scenarios'], runId: string, iterations: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-order-'));
  const cfg: ConfigInput = { targets: targets(), scenarios, load: { vus: 1, iterations }, preflight: { retries: 0, interval: 10 } };
  await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir, runId });
}

describe('which request of a pair goes out first', () => {
  beforeAll(async () => {
    urls = await Promise.all([server('a'), server('b')]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('alternates with the iteration: baseline first on even ones, candidate first on odd ones (a replica last)', () => {
    expect([0, 1, 2, 3].map((i) => sendOrder(i, 2))).toEqual([[0, 1], [1, 0], [0, 1], [1, 0]]);
    expect([0, 1].map((i) => sendOrder(i, 3))).toEqual([[0, 1, 2], [1, 0, 2]]);
  });

  it.each([
    ['a request scenario', 'req', [{ type: 'request', name: 'get', route: 'item' }]],
    ['a flow scenario (every step)', 'flow', [{ type: 'flow', name: 'create-read', steps: [{ name: 'create', route: 'create', body: { n: 1 }, capture: { id: '$.id' } }, { name: 'read', route: 'GET /items/{{id}}' }] }]],
    ['a compared request scenario', 'cmp', [{ type: 'request', name: 'get', route: 'item', compare: 'all' }]],
  ] as [string, string, ConfigInput['scenarios']][])('%s: each side first in about half the pairs', async (_what, runId, scenarios) => {
    await run(scenarios, runId, 200);
    const { pairs, share } = baselineFirstShare(`${runId}-`);
    expect(pairs).toBeGreaterThanOrEqual(200);
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
  }, 60_000);

  it('a replay: each side first in about half the pairs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-order-replay-'));
    const capture = path.join(dir, 'capture.ndjson');
    writeFileSync(capture, Array.from({ length: 200 }, (_, i) => JSON.stringify({ t: 1_700_000_000_000 + i, requestId: `c${i}`, route: 'item', method: 'GET', path: '/items/1', headers: {} })).join('\n') + '\n');
    const config = path.join(dir, 'replay.config.json');
    writeFileSync(config, JSON.stringify({ targets: targets(), preflight: { retries: 0, interval: 10 }, outDir: path.join(dir, 'out') }));
    const before = arrivals.length;
    const r = await runCli(['replay', capture, '--config', config, '--speed', 'max', '--max-in-flight', '1', '--quiet'], {});
    expect(r.code, r.stderr + r.stdout).not.toBe(3);
    const replayed = arrivals.slice(before);
    const first = new Map<string, 'a' | 'b'>();
    for (const a of replayed) if (!first.has(a.requestId)) first.set(a.requestId, a.side);
    expect(first.size).toBe(200);
    const share = [...first.values()].filter((s) => s === 'a').length / first.size;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
  }, 60_000);
});
