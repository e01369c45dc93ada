import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { tempWorkspace } from '../helpers/config.ts';

/**
 * A segment reads its start signal by the wall clock, and every intended start it records is on
 * that clock (the merged run lines up the segments' schedules by it). Stream, request and flow
 * iterations alike: here the wall clock runs a minute ahead of the monotonic epoch (a stepped or
 * slewed clock), and every scenario's intended starts must still be the signal + the schedule,
 * and every sample's start (`startedAt`) on that same clock.
 */
describe('a segment’s intended starts are on the wall clock of its start signal', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/chat') res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"token":"t"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  it('for stream, request and flow scenarios, with the wall clock a minute ahead', async () => {
    const ws = tempWorkspace();
    const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, baseUrl: url, routes: { chat: 'POST /chat' }, stream: 'openai' as const });
    const loaded = await resolveConfig(
      {
        targets: [target('a', 'baseline'), target('b', 'candidate')],
        scenarios: [
          { name: 'chat', route: 'chat', prompts: ws.promptsFile },
          { type: 'request', name: 'items', route: 'GET /items' },
          { type: 'flow', name: 'lots', steps: [{ name: 'login', route: 'POST /login', body: {}, capture: { token: '$.token' } }, { name: 'read', route: 'GET /lots/{{token}}' }] },
        ],
        load: { model: 'constant-arrival-rate', rate: 60, duration: '1s' },
        preflight: { retries: 0, interval: 10 },
      },
      ws.configFile,
    );
    const realNow = Date.now.bind(Date);
    const AHEAD = 60_000;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + AHEAD);
    try {
      const startAtMs = Date.now() + 300;
      const out = await runParity(loaded, { outDir: ws.out, runId: 'wall', segment: { index: 0, count: 1, source: '--segment', startAtMs } });
      const pairs = out.pairs;
      expect(new Set(pairs.map((p) => p.scenario))).toEqual(new Set(['chat', 'items', 'lots']));
      expect(pairs.length).toBeGreaterThanOrEqual(60);
      // Iteration i is planned at the signal + i × (1000 / 60) ms, on the signal's clock (to the half millisecond: each process reads the wall clock once).
      const firstSteps = pairs.filter((p) => p.step === undefined || p.step === 'login');
      expect(new Set(firstSteps.map((p) => p.scenario))).toEqual(new Set(['chat', 'items', 'lots']));
      // A flow's later step is due when the step before it ends: on the same clock, after its iteration's intended start.
      for (const p of pairs.filter((x) => x.step === 'read')) {
        const first = firstSteps.find((x) => x.scenario === 'lots' && x.iteration === p.iteration)!;
        for (const s of [p.baseline, p.candidate]) {
          expect(s.intendedAt! - first.baseline.intendedAt!, `lots read iteration ${p.iteration}`).toBeGreaterThan(0);
          expect(s.intendedAt! - first.baseline.intendedAt!, `lots read iteration ${p.iteration}`).toBeLessThan(1_000);
        }
      }
      for (const p of firstSteps) {
        for (const s of [p.baseline, p.candidate]) {
          expect(s.intendedAt! - startAtMs, `${p.scenario} iteration ${p.iteration}`).toBeCloseTo((p.iteration * 1000) / 60, 0);
          // The request went out dispatchLagMs after its intended start: startedAt on the same clock.
          // (An arrival timer may fire up to about a millisecond early, on the loop's millisecond
          // clock: dispatchLagMs is then 0 and startedAt a little before intendedAt. A wrong clock is
          // off by the minute.)
          const off = s.startedAt - s.intendedAt! - s.dispatchLagMs!;
          expect(off, `${p.scenario} iteration ${p.iteration} startedAt`).toBeLessThan(1);
          expect(off, `${p.scenario} iteration ${p.iteration} startedAt`).toBeGreaterThan(s.dispatchLagMs === 0 ? -2.5 : -1);
        }
      }
      // Every sample (a flow's later steps too) started within the run's second after the signal, by the signal's clock.
      for (const p of pairs) {
        for (const s of [p.baseline, p.candidate]) {
          expect(s.startedAt - startAtMs, `${p.scenario} ${p.step ?? ''} iteration ${p.iteration}`).toBeGreaterThanOrEqual(0);
          expect(s.startedAt - startAtMs, `${p.scenario} ${p.step ?? ''} iteration ${p.iteration}`).toBeLessThan(5_000);
        }
      }
    } finally {
      vi.restoreAllMocks();
    }
  });
});
