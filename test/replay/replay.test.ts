import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startCountingServer } from '../helpers/counting-server.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { parityLines, recordChatHar, writeHar, type Recorded } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-'));
const promptsFile = path.join(dir, 'prompts.jsonl');
writeFileSync(promptsFile, '{"text":"hello"}\n');

function writeConfig(name: string, baseUrl: string, candUrl: string): string {
  const file = path.join(dir, `${name}.config.json`);
  const cfg = {
    name,
    targets: [
      { name: 'base', role: 'baseline', baseUrl, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      { name: 'cand', role: 'candidate', baseUrl: candUrl, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
    ],
    // The config's own scenario and load are not run by a replay; its targets, timeouts and outDir are used.
    scenarios: [{ name: 'own', route: 'chat', prompts: promptsFile }],
    load: { vus: 1, iterations: 1, timeouts: { firstEvent: '2s', idle: '1s', total: '10s' } },
    preflight: { retries: 0, interval: 10 },
    outDir: path.join(dir, 'reports'),
  };
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

/** Baseline (k = 0) and candidate (k = 1) servers answering with `handle`, and a config naming them; closed after `fn`. */
async function withServers(name: string, handle: (k: number, req: IncomingMessage, res: ServerResponse, body: string) => void, fn: (config: string) => Promise<void>): Promise<void> {
  const servers = [0, 1].map((k) =>
    createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => handle(k, req, res, body));
    }),
  );
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
  try {
    await fn(writeConfig(name, url(0), url(1)));
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  }
}

const readRun = (stdout: string): RunResult => JSON.parse(readFileSync(/run\.json: (.+)/.exec(stdout)![1]!.trim(), 'utf8')) as RunResult;

/** Recorded offsets (ms): irregular, with close pairs and longer gaps. */
const PLAN = [0, 60, 75, 190, 330, 345, 470, 640, 655, 800, 830, 900, 1010, 1015, 1150, 1300];

describe('parity replay against the chat fixtures (server-side receive stamps)', () => {
  let fx: FixtureProcess;
  let har: string;
  let config: string;
  let recorded: number[];

  beforeAll(async () => {
    fx = await startFixtureProcess([{ framing: 'named-events', tokens: 3, interEventGapMs: 1 }, { framing: 'named-events', tokens: 3, interEventGapMs: 1 }]);
    config = writeConfig('timing', fx.fixtures[0]!.url, fx.fixtures[1]!.url);
    // The capture: real requests to the baseline fixture at irregular moments, written down as devtools would.
    har = path.join(dir, 'recorded.har');
    recorded = await recordChatHar(har, fx.fixtures[0]!.url, PLAN);
  }, 30_000);
  afterAll(async () => fx?.close());

  /** Receive stamps on each fixture of one replay's requests, as offsets from its first. */
  async function arrivals(runId: string): Promise<number[][]> {
    const out: number[][] = [];
    for (const f of fx.fixtures) {
      const at = (await f.served()).filter((s) => s.requestId.startsWith(`${runId}-`)).map((s) => s.receivedAt).sort((a, b) => a - b);
      out.push(at.map((t) => t - at[0]!));
    }
    return out;
  }

  // The pacing itself (every request within ±5 ms of its recorded offset, 1x and 2x) is measured in pacing.test.ts, on a fresh process.
  it('1x: both targets receive each request, measured by the stream probe, latencies from the recorded moments', async () => {
    const r = await runCli(['replay', har, '--config', config, '--allow-writes', '--quiet', '--run-id', 'speed1'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = readRun(r.stdout);
    expect(run).toMatchObject({ complete: true, load: { model: 'replay', iterations: PLAN.length, dropped: 0 }, samples: { pairs: PLAN.length }, replay: { format: 'har', read: PLAN.length, scheduled: PLAN.length, bad: 0 } });
    expect(run.endpoints?.map((e) => e.route)).toEqual(['POST /chat-stream']);
    // SSE: read by the stream probe (events counted, outcome ok on both sides).
    expect(run.summaries[0]!.baseline.outcomes.complete).toBe(PLAN.length);
    expect(run.summaries[0]!.candidate.outcomes.complete).toBe(PLAN.length);
    for (const got of await arrivals('speed1')) expect(got).toHaveLength(PLAN.length);
    // Coordinated omission: a start the harness made late keeps its recorded moment; the lateness is its dispatch lag.
    const pairs = readFileSync(path.join(path.dirname(/run\.json: (.+)/.exec(r.stdout)![1]!.trim()), 'samples.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const origin = Math.min(...pairs.map((p) => p.baseline.intendedAt));
    for (const p of pairs) {
      expect(p.baseline.intendedAt - origin).toBeCloseTo(recorded[p.iteration]!, -1);
      // (a timer may fire a fraction of a millisecond early: no negative lag)
      expect(Math.abs(Math.max(0, p.baseline.startedAt - p.baseline.intendedAt) - p.baseline.dispatchLagMs)).toBeLessThan(1);
    }
  }, 30_000);

  it('--loop 2 replays the capture twice, the second pass after the first', async () => {
    const r = await runCli(['replay', har, '--config', config, '--allow-writes', '--quiet', '--run-id', 'loop2', '--speed', 'max', '--loop', '2'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readRun(r.stdout)).toMatchObject({ samples: { pairs: 2 * PLAN.length }, replay: { read: PLAN.length, scheduled: 2 * PLAN.length } });
    for (const got of await arrivals('loop2')) expect(got).toHaveLength(2 * PLAN.length);
  }, 30_000);
});

describe('parity replay: write safety, filters and bad input', () => {
  const T = Date.parse('2026-11-29T14:00:00.000Z');
  const MIXED: Recorded[] = ['GET', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'GET'].map((method, i) => ({ t: T + i * 5, method, path: `/api/items/${i}`, headers: { accept: 'application/json' }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{"x":1}' }) }));

  it('POST, PUT, PATCH and DELETE are not replayed without --allow-writes (counted); with it they are', async () => {
    const [a, b] = await Promise.all([startCountingServer(), startCountingServer()]);
    try {
      const config = writeConfig('writes', a.url, b.url);
      const har = path.join(dir, 'mixed.har');
      writeHar(har, MIXED);
      const r = await runCli(['replay', har, '--config', config, '--quiet'], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect([a.count(), b.count()]).toEqual([3, 3]);
      expect(readRun(r.stdout).replay).toMatchObject({ scheduled: 3, skipped: { writes: 4 } });
      expect(r.stdout).toMatch(/4 writes \(replay them with --allow-writes\)/);
      const w = await runCli(['replay', har, '--config', config, '--quiet', '--allow-writes'], {});
      expect(w.code, w.stderr + w.stdout).toBe(0);
      expect([a.count(), b.count()]).toEqual([3 + 7, 3 + 7]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  it('corrupt entries are listed with their line numbers and the rest replays; past --max-corrupt (1%) the run is incomplete and never passes', async () => {
    const [a, b] = await Promise.all([startCountingServer(), startCountingServer()]);
    try {
      const config = writeConfig('corrupt', a.url, b.url);
      const file = path.join(dir, 'corrupt.ndjson');
      const lines = parityLines(MIXED.filter((m) => m.method === 'GET')).trim().split('\n');
      lines.splice(1, 0, '{"t": 17, "method": "GET", "path": "/api/tru');
      writeFileSync(file, lines.join('\n') + '\n');
      // 1 of 4 entries unreadable (25%): the replay did not send what was captured. Exit 2, with the reason and the entry.
      const r = await runCli(['replay', file, '--config', config, '--quiet'], {});
      expect(r.code, r.stderr + r.stdout).toBe(2);
      const run = readRun(r.stdout);
      expect(run).toMatchObject({ complete: false, samples: { pairs: 3 }, replay: { read: 4, bad: 1, maxCorrupt: 0.01, badEntries: [{ at: 'line 2' }] } });
      expect(run.incompleteReason).toMatch(/^1 of 4 capture entries \(25%\) were corrupt or truncated, over --max-corrupt 1%: the replay did not send what was captured/);
      expect(r.stdout).toMatch(/bad line 2: not a JSON object \(corrupt or truncated line\)/);
      expect(r.stdout).toMatch(/INCOMPLETE: 1 of 4 capture entries/);
      expect([a.count(), b.count()]).toEqual([3, 3]);
      // The summary and the HTML report show the entry too.
      const runDir = path.dirname(/run\.json: (.+)/.exec(r.stdout)![1]!.trim());
      const md = readFileSync(path.join(runDir, 'summary.md'), 'utf8');
      expect(md).toMatch(/## Replay[\s\S]*\*\*Corrupt or truncated entries\*\* \(not replayed\):\s+- line 2: not a JSON object/);
      expect(md).toMatch(/Incomplete run:\*\* 1 of 4 capture entries/);
      expect(readFileSync(path.join(runDir, 'report.html'), 'utf8')).toMatch(/data-replay-bad="1"><b>Corrupt or truncated entries<\/b> \(not replayed\):<ul><li>line 2: not a JSON object/);

      // With a policy: inconclusive, whatever the gates say, the reason first among the run's blockers.
      const policy = path.join(dir, 'corrupt-policy.yaml');
      writeFileSync(policy, 'gates:\n  - { name: 5xx, metric: status_5xx_rate, threshold: "<= 50%", minSamples: 1 }\n');
      const p = await runCli(['replay', file, '--config', config, '--quiet', '--policy', policy], {});
      expect(p.code, p.stderr + p.stdout).toBe(2);
      const verdict = readRun(p.stdout).verdict!;
      expect(verdict.status).toBe('inconclusive');
      expect(verdict.reasons.some((x) => /run incomplete \(1 of 4 capture entries .* the replay did not send what was captured/.test(x)), JSON.stringify(verdict.reasons)).toBe(true);

      // A share allowed with --max-corrupt: the rest replays and the run is complete; the entry is still listed.
      const ok = await runCli(['replay', file, '--config', config, '--quiet', '--max-corrupt', '30%'], {});
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      expect(readRun(ok.stdout)).toMatchObject({ complete: true, replay: { bad: 1, maxCorrupt: 0.3, badEntries: [{ at: 'line 2' }] } });
      expect(ok.stdout).toMatch(/bad line 2: not a JSON object/);

      // --max-corrupt 0: any bad entry. A share that is not one is exit 3 before any traffic.
      expect((await runCli(['replay', file, '--config', config, '--quiet', '--max-corrupt', '0'], {})).code).toBe(2);
      const before = a.count();
      const bad = await runCli(['replay', file, '--config', config, '--quiet', '--max-corrupt', 'lots'], {});
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/--max-corrupt takes the share of capture entries that may be corrupt or truncated: "0.5%", 0.005 or 0; got "lots"/);
      expect(a.count()).toBe(before);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('one corrupt entry in 200 (0.5%) is within the default 1%: listed, and the run is complete', async () => {
    const [a, b] = await Promise.all([startCountingServer(), startCountingServer()]);
    try {
      const config = writeConfig('corrupt-few', a.url, b.url);
      const file = path.join(dir, 'corrupt-few.ndjson');
      const T = Date.now();
      const lines = parityLines(Array.from({ length: 199 }, (_, i) => ({ t: T + i, method: 'GET', path: `/api/items/${i}`, headers: { accept: 'application/json' } }))).trim().split('\n');
      lines.splice(100, 0, '{"t": 17, "method": "GE');
      writeFileSync(file, lines.join('\n') + '\n');
      const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max'], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(readRun(r.stdout)).toMatchObject({ complete: true, samples: { pairs: 199 }, replay: { read: 200, bad: 1, badEntries: [{ at: 'line 101' }] } });
      expect(r.stdout).toMatch(/bad line 101/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('--include/--exclude and --from/--to pick the requests; none left is exit 3 with the reason, before any traffic', async () => {
    const [a, b] = await Promise.all([startCountingServer(), startCountingServer()]);
    try {
      const config = writeConfig('filters', a.url, b.url);
      const har = path.join(dir, 'filters.har');
      writeHar(har, MIXED);
      const r = await runCli(['replay', har, '--config', config, '--quiet', '--allow-writes', '--include', '/api/items/*', '--exclude', 'DELETE', '--from', String(T + 5), '--to', new Date(T + 30).toISOString()], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      // Offsets 5..25: POST, GET, PUT, (DELETE excluded), PATCH.
      expect(readRun(r.stdout).replay).toMatchObject({ scheduled: 4, skipped: { filtered: 1, window: 2 } });
      expect(a.count()).toBe(4);
      const none = await runCli(['replay', har, '--config', config, '--quiet', '--include', 'POST /api/*'], {});
      expect(none.code).toBe(3);
      expect(none.stderr).toMatch(/no request left to replay after filters \(7 entries read: 1 writes .*--allow-writes.*6 left out by --include\/--exclude\)/);
      const unknown = path.join(dir, 'x.txt');
      writeFileSync(unknown, 'hello\n');
      const u = await runCli(['replay', unknown, '--config', config], {});
      expect(u.code).toBe(3);
      expect(u.stderr).toMatch(/unknown capture format; parity replay understands parity capture NDJSON/);
      expect(a.count()).toBe(4);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);
});

describe('parity replay --policy: a bad candidate does not pass', () => {
  it('a candidate answering 5xx to a third of the replayed requests fails the 5xx gate (exit 1), endpoint-scoped gates included', async () => {
    let n = 0;
    const handle = (k: number, _req: IncomingMessage, res: ServerResponse) => {
      const fail = k === 1 && n++ % 3 === 0;
      res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' }).end(fail ? '{"error":"down"}' : '{"ok":true}');
    };
    await withServers('policy', handle, async (config) => {
      const file = path.join(dir, 'policy.ndjson');
      const T = Date.now();
      writeFileSync(file, parityLines(Array.from({ length: 200 }, (_, i) => ({ t: T + i, method: 'GET', path: `/api/items/${i % 2 ? 'a' : 'b'}`, headers: { accept: 'application/json' } }))));
      const policy = path.join(dir, 'policy.yaml');
      writeFileSync(policy, ['gates:', '  - { name: 5xx, metric: status_5xx_rate, threshold: "<= 1%" }', '  - { name: 5xx-a, metric: status_5xx_rate, threshold: "<= 1%", route: "GET /api/items/a" }'].join('\n'));
      const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--policy', policy], {});
      expect(r.code, r.stderr + r.stdout).toBe(1);
      const run = readRun(r.stdout);
      expect(run.verdict?.status).toBe('fail');
      expect(run.verdict?.gates.find((g) => g.id === '5xx')?.status).toBe('fail');
      expect(run.endpoints?.map((e) => e.route).sort()).toEqual(['GET /api/items/a', 'GET /api/items/b']);
      expect(run.verdict?.gates.find((g) => g.id === '5xx-a')?.status).toBe('fail');
      // A gate on an endpoint the capture does not have is a policy error before any traffic, naming those it has.
      const before = n;
      writeFileSync(policy, 'gates:\n  - { name: x, metric: status_5xx_rate, threshold: "<= 1%", route: "GET /nope" }\n');
      const bad = await runCli(['replay', file, '--config', config, '--quiet', '--policy', policy], {});
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/route "GET \/nope".*GET \/api\/items\/b/);
      expect(n).toBe(before);
    });
  }, 60_000);
});

describe("parity replay with the config's shadow section", () => {
  it('header drops and session-id rewrites apply to every replayed request, on both targets', async () => {
    const got: { headers: IncomingMessage['headers']; body: string }[][] = [[], []];
    const handle = (k: number, req: IncomingMessage, res: ServerResponse, body: string) => {
      got[k]!.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    await withServers('shadowed', handle, async (config) => {
      const cfg = JSON.parse(readFileSync(config, 'utf8'));
      cfg.shadow = { routes: { chat: { allowWrites: true } }, rewrite: [{ header: 'x-session-id', prefix: 'replay-' }, { body: '/session', prefix: 'replay-' }] };
      writeFileSync(config, JSON.stringify(cfg));
      const file = path.join(dir, 'sessions.ndjson');
      writeFileSync(file, parityLines([{ t: Date.now(), method: 'POST', path: '/chat', headers: { cookie: 'sid=real', authorization: 'Bearer real-user', 'x-session-id': 's-1', 'content-type': 'application/json' }, body: '{"session":"s-1","q":"hi"}' }]));
      const r = await runCli(['replay', file, '--config', config, '--quiet', '--allow-writes'], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      for (const side of got) {
        expect(side).toHaveLength(1);
        expect(side[0]!.headers).toMatchObject({ 'x-session-id': 'replay-s-1' });
        expect(side[0]!.headers.cookie).toBeUndefined();
        expect(side[0]!.headers.authorization).toBeUndefined();
        expect(JSON.parse(side[0]!.body)).toEqual({ session: 'replay-s-1', q: 'hi' });
      }
    });
  }, 60_000);
});

describe('parity replay --compare', () => {
  it('diffs the sampled pairs under the contract rules, per endpoint: a renamed field on the candidate is drift', async () => {
    const handle = (k: number, req: IncomingMessage, res: ServerResponse) => {
      const item = k === 0 ? { id: 7, name: 'a' } : { id: 7, title: 'a' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.url?.startsWith('/api/items') ? item : { ok: true }));
    };
    await withServers('compare', handle, async (config) => {
      const file = path.join(dir, 'compare.ndjson');
      const T = Date.now();
      writeFileSync(file, parityLines(Array.from({ length: 20 }, (_, i) => ({ t: T + i, method: 'GET', path: i % 2 ? '/api/items/7' : '/api/health', headers: { accept: 'application/json' } }))));
      const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--compare', 'all'], {});
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const run = readRun(r.stdout);
      const byRoute = new Map((run.contracts ?? []).map((c) => [c.step, c]));
      expect([...byRoute.keys()].sort()).toEqual(['GET /api/health', 'GET /api/items/7']);
      expect(byRoute.get('GET /api/items/7')).toMatchObject({ underLoad: true, pairs: 10 });
      expect(byRoute.get('GET /api/items/7')!.drift.length).toBeGreaterThan(0);
      expect(byRoute.get('GET /api/health')!.drift).toEqual([]);
    });
  }, 60_000);
});
