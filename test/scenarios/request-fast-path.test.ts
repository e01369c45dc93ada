import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { PairedSample, StreamSample } from '../../harness/metrics/sample.ts';
import { runParity } from '../../harness/run/engine.ts';
import { tempWorkspace } from '../helpers/config.ts';

/**
 * A plain request scenario's pairs (one step, nothing read but the status) take a shorter path
 * than a flow's (probes/request-pair.ts). The same scenario with every pair compared takes the
 * general one. Both must send the same requests (method, path, headers, body, per side) and make
 * the same samples (outcomes judged on the expected status, ids, route, intended start and lag).
 */
interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the plain request path sends and records what the flow path does', () => {
  let server: http.Server;
  let url: string;
  let seen: Seen[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: { ...req.headers }, body });
        // Iterations ending in 3 answer 500, in 7 answer 200 (not the expected 201): both are failures the gates must see.
        const n = Number(/-(\d+)$/.exec(String(req.headers['x-request-id']))?.[1] ?? 0);
        const status = n % 10 === 3 ? 500 : n % 10 === 7 ? 200 : 201;
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 500 ? '{"error":"boom"}' : '{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function runWith(compare: string, vars: Record<string, unknown>) {
    const ws = tempWorkspace();
    const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, baseUrl: url, headers: { 'x-team': name }, routes: {} });
    const body = { ...('code' in vars ? { code: '{{code}}' } : {}), n: '{{iteration}}', who: '{{unique}}', fixed: [1, true, null] };
    const loaded = await resolveConfig(
      {
        targets: [target('a', 'baseline'), target('b', 'candidate')],
        scenarios: [{ type: 'request', name: 'create', route: 'POST /lots/{{iteration}}', headers: { 'x-who': '{{unique}}' }, body, expect: { status: [201] }, compare, vars }],
        load: { vus: 3, iterations: 40 },
        preflight: { retries: 0, interval: 10 },
      },
      ws.configFile,
    );
    seen = [];
    const out = await runParity(loaded, { outDir: ws.out, runId: 'same-run' });
    const requests = seen
      .filter((s) => s.method === 'POST')
      .map((s) => ({ ...s, headers: Object.fromEntries(Object.entries(s.headers).filter(([k]) => k !== 'connection')) }))
      .sort((x, y) => `${String(x.headers['x-request-id'])}${String(x.headers['x-team'])}`.localeCompare(`${String(y.headers['x-request-id'])}${String(y.headers['x-team'])}`));
    return { out, requests, pairs: [...out.pairs].sort((x, y) => x.iteration - y.iteration) };
  }

  /** A sample without its timings (they differ run to run), with the presence of each timing kept. */
  const shape = (s: StreamSample) => {
    const { startedAt: _s, endMs: _e, headersMs, completionMs, intendedAt, dispatchLagMs, ...rest } = s;
    return { ...rest, headersMs: headersMs !== undefined, completionMs: completionMs !== undefined, intendedAt: intendedAt !== undefined, dispatchLagMs: dispatchLagMs !== undefined };
  };
  const shapes = (ps: PairedSample[]) => ps.map((p) => ({ ...p, baseline: shape(p.baseline), candidate: shape(p.candidate) }));

  it.each([
    ['built-in variables only', {}],
    ['flow vars of its own', { code: 'LOT-{{iteration}}-{{unique}}' }],
  ])('%s', async (_name, vars: Record<string, unknown>) => {
    const plain = await runWith('0%', vars);
    const general = await runWith('100%', vars);
    expect(plain.requests).toHaveLength(80);
    expect(plain.requests).toEqual(general.requests);
    // Each side its own {{unique}}, in the header and the body.
    const first = plain.requests.filter((r) => r.headers['x-request-id'] === 'same-run-0');
    expect(first.map((r) => [r.headers['x-team'], r.headers['x-who'], r.url])).toEqual([
      ['a', 'same-run-0-b', '/api/lots/0'],
      ['b', 'same-run-0-c', '/api/lots/0'],
    ]);
    expect(shapes(plain.pairs)).toEqual(shapes(general.pairs));
    const outcomes = plain.pairs.map((p) => p.candidate.outcome);
    expect(outcomes.filter((o) => o === 'http_error')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'assertion_failed')).toHaveLength(4);
    expect(plain.out.result.summaries[0]!.candidate.errorRate).toBeCloseTo(8 / 40, 10);
  });

  it('an interrupt (SIGINT: the run\'s signal) stops the requests in flight at once: abandoned, never measured, the run incomplete', async () => {
    const hang = http.createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    try {
      const ws = tempWorkspace();
      const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, baseUrl: hangUrl, routes: {} });
      const loaded = await resolveConfig(
        {
          targets: [target('a', 'baseline'), target('b', 'candidate')],
          scenarios: [{ type: 'request', name: 'slow', route: 'GET /never' }],
          load: { vus: 4, iterations: 100, timeouts: { total: 60_000 } },
          preflight: { retries: 0, interval: 10 },
        },
        ws.configFile,
      );
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const t0 = Date.now();
      const out = await runParity(loaded, { outDir: ws.out, runId: 'interrupted', signal: ac.signal });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(out.result.complete).toBe(false);
      expect(out.result.incompleteReason).toBe('interrupted');
      expect(out.result.samples.pairs).toBe(0);
      expect(out.result.load.abandoned).toBe(8);
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });
});
