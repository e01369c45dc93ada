import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawResult } from '../../harness/raw/run.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

const CONNECTIONS = 8;
// Whole response = first content after 60 ms, then 3 more events 5 ms apart, then the terminal event.
const DELAY_MS = 60;

describe('parity raw: raw-throughput mode on autocannon', () => {
  let proc: FixtureProcess;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 4, firstContentDelayMs: DELAY_MS, interEventGapMs: 5 },
      { framing: 'named-events', tokens: 4, firstContentDelayMs: DELAY_MS, interEventGapMs: 5, faults: { httpError: 0.25 }, httpErrorStatus: 503, seed: 7 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  const config = () => {
    const ws = tempWorkspace([{ text: 'one' }, { text: 'two "quoted"' }, { text: 'three' }]);
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile })));
    return ws;
  };

  it('measures both targets at once: request counts, the injected 503 rate and the injected delay', async () => {
    const ws = config();
    const [servedBase0, servedCand0] = [(await proc.fixtures[0]!.served()).length, (await proc.fixtures[1]!.served()).length];
    const { code, stdout, stderr } = await runCli(['raw', ws.configFile, '--duration', '3s', '--connections', String(CONNECTIONS), '--out', ws.out, '--run-id', 'raw1']);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/raw throughput \(autocannon\): 3 s, 8 connections per target, both targets at once/);
    // Capacity is compared on what was served (2xx/s): a target's fast error answers make its req/s look better.
    expect(stdout).toMatch(/candidate ÷ baseline: 2xx\/s \d+\.\d\d× \(all answers \d+\.\d\d×\)/);
    const r = RawResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'raw1', 'raw.json'), 'utf8')));
    const [b, c] = r.targets;
    const servedBase = (await proc.fixtures[0]!.served()).slice(servedBase0);
    const servedCand = (await proc.fixtures[1]!.served()).slice(servedCand0);

    // Every response autocannon counted was served by the fixture; at most one request per connection was still in flight at the end.
    expect(b.requests).toBeGreaterThan(100);
    expect(servedBase.length - b.requests).toBeGreaterThanOrEqual(0);
    expect(servedBase.length - b.requests).toBeLessThanOrEqual(CONNECTIONS);
    expect(servedCand.length - c.requests).toBeLessThanOrEqual(CONNECTIONS);
    expect(b.requestsPerSec).toBeCloseTo(b.requests / b.durationSec, 5);

    // Baseline: no faults. Candidate: the fixture's 503s, counted exactly (± the requests in flight at the end).
    expect(b.non2xx + b.errors + b.timeouts).toBe(0);
    const injected = servedCand.filter((s) => s.fault === 'http_error').length;
    expect(Math.abs(c.status['5xx'] - injected)).toBeLessThanOrEqual(CONNECTIONS);
    expect(c.non2xx).toBe(c.status['5xx']);
    expect(c.non2xx / c.requests).toBeGreaterThan(0.18);
    expect(c.non2xx / c.requests).toBeLessThan(0.32);

    // Latency to the whole response: at least the injected delay plus the event gaps, not far beyond on an idle fixture.
    expect(b.latencyMs.p50).toBeGreaterThanOrEqual(DELAY_MS + 15);
    expect(b.latencyMs.p50).toBeLessThan(DELAY_MS + 150);
    // ~8 connections each waiting ~80 ms: about 100 requests/s per target.
    expect(b.requestsPerSec).toBeGreaterThan(CONNECTIONS * (1000 / (DELAY_MS + 150)));
    expect(b.requestsPerSec).toBeLessThanOrEqual(CONNECTIONS * (1000 / (DELAY_MS + 15)));
    expect(r.ratios.requestsPerSec).toBeCloseTo(c.requestsPerSec / b.requestsPerSec, 5);
    expect(c.okPerSec).toBeCloseTo(c.status['2xx'] / c.durationSec, 5);
    expect(b.okPerSec).toBeCloseTo(b.requestsPerSec, 5);
    expect(r.ratios.okPerSec).toBeCloseTo(c.okPerSec! / b.okPerSec!, 5);
    // The candidate's failed share is said, with its measured percentage; the clean baseline gets no such line.
    const warned = /WARNING candidate cand: (\d+\.\d)% of requests got no 2xx \(5xx \d+\); its req\/s and latency include those answers: compare 2xx\/s/.exec(stdout);
    expect(warned, stdout).not.toBeNull();
    expect(Number(warned![1])).toBeCloseTo((100 * c.non2xx) / c.requests, 0);
    expect(stdout).not.toMatch(/WARNING baseline/);

    // The requests are the config's: the scenario's body with each prompt, the request-id header.
    const bodies = new Set(servedBase.map((s) => JSON.stringify(s.body)));
    expect(bodies).toEqual(new Set(['one', 'two "quoted"', 'three'].map((p, i) => JSON.stringify({ message: p, session_id: `parity-${i}` }))));
    expect(servedBase.every((s) => s.requestId.startsWith('raw1-raw-'))).toBe(true);
  }, 30_000);

  it('rejects a bad flag before any traffic, naming the flag and the fix', async () => {
    const ws = config();
    const before = (await proc.fixtures[0]!.served()).length;
    for (const [flag, value, message] of [
      ['--duration', 'soon', /--duration: "soon" is not a duration; write .* "2s"/],
      ['--duration', '200ms', /--duration must be at least 1s/],
      ['--connections', '0', /--connections takes a whole number of connections per target from 1 to 10000, got "0"/],
    ] as const) {
      const { code, stderr } = await runCli(['raw', ws.configFile, flag, value, '--out', ws.out]);
      expect(code).toBe(3);
      expect(stderr).toMatch(message);
    }
    expect((await proc.fixtures[0]!.served()).length).toBe(before);
  });
});
