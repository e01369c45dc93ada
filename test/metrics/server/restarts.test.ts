import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../../fixtures/backends/chat-backend.ts';
import { main } from '../../../harness/cli.ts';
import { evaluatePolicy } from '../../../harness/gates/evaluate.ts';
import type { Reading } from '../../../harness/metrics/server/exposition.ts';
import type { ServerSeriesResult } from '../../../harness/metrics/server/result.ts';
import { restartsInStartTimes, startTimeQuery } from '../../../harness/metrics/server/restarts.ts';
import { seriesFromReads, type Read } from '../../../harness/metrics/server/series.ts';
import { sideCell } from '../../../harness/reporters/server-metrics.ts';
import type { RunResult } from '../../../harness/run/result.ts';
import { captureIO } from '../../helpers/cli.ts';
import { tempWorkspace } from '../../helpers/config.ts';
import { pairs, policyOf, runOf } from '../../helpers/gates.ts';
import { startPrometheus, type PrometheusHandle } from '../../helpers/prometheus.ts';

/**
 * A leaking candidate is OOM-killed and restarted mid-window: its RSS falls back, and `growth`,
 * `slope`, `last`, `min` or `mean` of the series would pass a memory gate. A restart in the window
 * (process_start_time_seconds changed, a counter went backwards, the endpoint refused connections
 * between reads) makes those gates on that target's series inconclusive and is recorded on the series.
 */
const MB = 1e6;
const gauge = (t: number, value: number, start?: number): Read => ({ t, reading: { kind: 'gauge', value } as Reading, ...(start !== undefined ? { start } : {}) });

describe('restarts in polled reads', () => {
  it('process_start_time_seconds changing between two reads is a restart between them', () => {
    const s = seriesFromReads([gauge(0, 100 * MB, 500), gauge(1000, 300 * MB, 500), gauge(2000, 90 * MB, 2001.5), gauge(3000, 95 * MB, 2001.5)], 0.95);
    expect(s.stats!.growth).toBe(-5 * MB);
    expect(s.restarts).toEqual([{ after: 1000, before: 2000, signal: 'process_start_time' }]);
  });

  it('a counter going backwards, and connections refused between reads, are restarts; a steady process is none', () => {
    const c = (t: number, value: number): Read => ({ t, reading: { kind: 'counter', value } as Reading });
    expect(seriesFromReads([c(0, 100), c(1000, 130), c(2000, 5), c(3000, 25)], 0.5).restarts).toEqual([{ after: 1000, before: 2000, signal: 'counter_reset' }]);
    const refused: Read = { t: 1500, reading: 'source unreachable: http://127.0.0.1:1/metrics: ECONNREFUSED', refused: true };
    const timedOut: Read = { t: 1500, reading: 'source unreachable: http://127.0.0.1:1/metrics: timed out' };
    const g = [gauge(0, 100), gauge(1000, 200), gauge(2000, 50), gauge(3000, 60)];
    expect(seriesFromReads([...g.slice(0, 2), refused, ...g.slice(2)], 0.5).restarts).toEqual([{ after: 1000, before: 2000, signal: 'refused' }]);
    // A timeout is a slow server, not a dead one; the same start time across a refused read is the same process.
    expect(seriesFromReads([...g.slice(0, 2), timedOut, ...g.slice(2)], 0.5).restarts).toBeUndefined();
    expect(seriesFromReads([gauge(0, 1, 7), gauge(1000, 2, 7), { ...refused, t: 1500 }, gauge(2000, 1, 7)], 0.5).restarts).toBeUndefined();
    expect(seriesFromReads([gauge(0, 100 * MB, 500), gauge(1000, 90 * MB, 500.2), gauge(2000, 110 * MB, 500)], 0.5).restarts).toBeUndefined();
  });
});

describe('restarts from Prometheus: process_start_time_seconds of the series\' process', () => {
  it('carries the identity matchers of the first selector over; none, no lookup', () => {
    expect(startTimeQuery('sum(process_resident_memory_bytes{instance="10.0.0.7:8080",job="chat"})')).toBe('process_start_time_seconds{instance="10.0.0.7:8080",job="chat"}');
    expect(startTimeQuery('sum(rate(http_requests_total{job=~"chat-.*",status=~"5.."}[95s]))')).toBe('process_start_time_seconds{job=~"chat-.*"}');
    expect(startTimeQuery('sum(rate(http_requests_total{status=~"5.."}[95s]))')).toBeNull();
    expect(startTimeQuery('up')).toBeNull();
  });
  it('a change of the start time between two steps is a restart between them', () => {
    expect(restartsInStartTimes([[0, 500], [1000, 500.3], [2000, 2000], [3000, 2000]])).toEqual([{ after: 1000, before: 2000, signal: 'prometheus' }]);
    expect(restartsInStartTimes([[0, 500], [1000, 500]])).toEqual([]);
  });
});

describe('server-side gates on a target that restarted', () => {
  const serie = (role: 'baseline' | 'candidate', values: number[], restarts?: ServerSeriesResult['restarts'], name = 'rss'): ServerSeriesResult => ({
    name,
    target: role === 'baseline' ? 'base' : 'cand',
    role,
    source: 'scrape',
    query: `process_resident_memory_bytes @ http://127.0.0.1:1/metrics`,
    kind: 'gauge',
    value: values.at(-1)!,
    points: values.map((v, i) => [Date.UTC(2026, 0, 1, 12, 0, i), v]),
    stats: { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, last: values.at(-1)!, p95: Math.max(...values), growth: values.at(-1)! - values[0]!, slope: -1 },
    ...(restarts ? { restarts } : {}),
  });
  const ps = pairs(50, () => ({}), () => ({}));
  const restart = [{ after: Date.UTC(2026, 0, 1, 12, 0, 1), before: Date.UTC(2026, 0, 1, 12, 0, 2), signal: 'process_start_time' as const }];
  const judge = async (threshold: string, metric: string, series: ServerSeriesResult[], extra = {}) =>
    evaluatePolicy(await policyOf([{ metric, threshold }], extra), runOf(ps, { serverMetrics: { startedAt: '', endedAt: '', series } }), ps, new Date(0));

  it('growth, slope, last, min, mean and value are inconclusive, with when and why; max still judges the peak', async () => {
    const series = [serie('baseline', [100 * MB, 101 * MB, 101 * MB]), serie('candidate', [100 * MB, 400 * MB, 90 * MB], restart)];
    for (const stat of ['growth', 'slope', 'last', 'min', 'mean', 'value']) {
      const metric = stat === 'value' ? 'server.rss' : `server.rss.${stat}`;
      const v = await judge('<= 50000000', metric, series);
      expect([metric, v.gates[0]!.status]).toEqual([metric, 'inconclusive']);
      expect(v.gates[0]!.reason).toMatch(/candidate cand restarted during the window \(process_start_time_seconds changed between 12:00:01\.000 and 12:00:02\.000 UTC\)/);
    }
    expect((await judge('<= 200000000', 'server.rss.max', series)).gates[0]!.status).toBe('fail');
    // The baseline restarting voids a ratio or delta; the candidate alone (absolute) is not about it.
    const baseRestarted = [serie('baseline', [100 * MB, 90 * MB], restart), serie('candidate', [100 * MB, 101 * MB])];
    expect((await judge('<= 1.2x baseline', 'server.rss.last', baseRestarted)).gates[0]!.status).toBe('inconclusive');
    expect((await judge('<= 200000000', 'server.rss.last', baseRestarted)).gates[0]!.status).toBe('pass');
    // Another series of the same target restarted (a counter reset): the process did, so this series too.
    const viaCounter = [serie('baseline', [1, 1]), serie('candidate', [100 * MB, 90 * MB]), serie('candidate', [5, 1], [{ ...restart[0]!, signal: 'counter_reset' }], 'reqs')];
    expect((await judge('<= 50000000', 'server.rss.growth', viaCounter)).gates[0]!.reason).toMatch(/a counter of "reqs" went backwards/);
    expect((await judge('<= 50000000', 'server.rss.growth', series, { insufficient: 'fail' })).gates[0]!.status).toBe('fail');
  });
});

/** A /metrics endpoint the test scripts: RSS per scrape, and a restart (new start time, RSS back down) after `restartAfter` scrapes. */
function processMetrics(opts: { leakPerScrape: number; restartAfter?: number }) {
  let scrapes = 0;
  let restartedAt = opts.restartAfter;
  const server = http.createServer((req, res) => {
    scrapes++;
    const restarted = restartedAt !== undefined && scrapes > restartedAt;
    const n = restarted ? scrapes - restartedAt! : scrapes;
    // After the restart the new process starts lower and leaks slowly: the window's last read is far below the peak.
    const rss = restarted ? 60 * MB + n * 0.5 * MB : 100 * MB + n * opts.leakPerScrape;
    const start = restarted ? 1_800_000_100 : 1_800_000_000;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP process_resident_memory_bytes Resident memory size in bytes.',
        '# TYPE process_resident_memory_bytes gauge',
        `process_resident_memory_bytes ${rss}`,
        '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
        '# TYPE process_start_time_seconds gauge',
        `process_start_time_seconds ${start}`,
        '',
      ].join('\n'),
    );
  });
  return {
    /** Restarts it from the next scrape on. */
    restart: () => void (restartedAt = scrapes),
    host: () => `127.0.0.1:${(server.address() as AddressInfo).port}`,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    listen: () => new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r())),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('parity run: a leak gate on a scraped /metrics', () => {
  let base: ChatFixture;
  let cand: ChatFixture;
  const steady = processMetrics({ leakPerScrape: 0 });
  const leaking = processMetrics({ leakPerScrape: 5 * MB, restartAfter: 5 });
  const healthyCand = processMetrics({ leakPerScrape: 0 });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const policy = path.join(ws.dir, 'policy.yaml');
  writeFileSync(policy, ['name: memory', 'minSamples: 5', 'gates:', '  - { name: no-leak, metric: server.rss.growth, threshold: "<= 20000000" }', ''].join('\n'));
  const config = (name: string, baseScrape: string, candScrape: string) => {
    const file = path.join(ws.dir, `${name}.config.json`);
    const target = (n: string, role: string, url: string, scrape: string) => ({ name: n, role, baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events', health: ['/health'], metrics: { scrape } });
    writeFileSync(
      file,
      JSON.stringify({
        name,
        targets: [target('base', 'baseline', base.url, baseScrape), target('cand', 'candidate', cand.url, candScrape)],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { vus: 2, duration: '1.5s', timeouts: { firstEvent: '2s', idle: '1s', total: '5s' } },
        preflight: { retries: 0, interval: 10 },
        metrics: { interval: '100ms', series: [{ name: 'rss', scrape: 'process_resident_memory_bytes' }] },
      }),
    );
    return file;
  };
  const run = async (file: string) => {
    const c = captureIO();
    const code = await main(['run', file, '--policy', policy, '--out', path.join(ws.dir, 'out'), '--quiet'], c.io);
    const runJson = JSON.parse(readFileSync(path.resolve(/run\.json: (.*)/.exec(c.out)![1]!.trim()), 'utf8')) as RunResult;
    return { code, out: c.out, err: c.err, runJson };
  };

  beforeAll(async () => {
    const common = { framing: 'named-events' as const, tokens: 3, firstContentDelayMs: 2, interEventGapMs: 2 };
    [base, cand] = await Promise.all([startChatFixture(common), startChatFixture(common)]);
    await Promise.all([steady.listen(), leaking.listen(), healthyCand.listen()]);
  });
  afterAll(async () => {
    await Promise.all([base?.close(), cand?.close(), steady.close(), leaking.close(), healthyCand.close()]);
  });

  it('RSS that grows, then falls back with a new process_start_time_seconds: not a pass (exit 2), the restart in run.json', async () => {
    const r = await run(config('leak', steady.url(), leaking.url()));
    expect(r.out, r.err).toMatch(/verdict: INCONCLUSIVE/);
    expect(r.runJson.verdict!.gates.find((g) => g.id === 'no-leak')).toMatchObject({ status: 'inconclusive' });
    expect(r.out).toMatch(/no-leak: candidate cand restarted during the window \(process_start_time_seconds changed between \d\d:\d\d:\d\d\.\d{3} and \d\d:\d\d:\d\d\.\d{3} UTC\)/);
    expect(r.code).toBe(2);
    const cs = r.runJson.serverMetrics!.series.find((s) => s.role === 'candidate')!;
    // The series itself shows the fall a growth gate would have passed.
    expect(cs.stats!.growth).toBeLessThan(20 * MB);
    expect(cs.restarts).toHaveLength(1);
    expect(cs.restarts![0]!.signal).toBe('process_start_time');
    expect(sideCell(cs)).toMatch(/ · restarted \d\d:\d\d:\d\d–\d\d:\d\d:\d\d UTC \(process_start_time\)$/);
    expect(r.runJson.serverMetrics!.series.find((s) => s.role === 'baseline')!.restarts).toBeUndefined();
  });

  it('a steady process: unchanged, the gate passes', async () => {
    const r = await run(config('steady', steady.url(), healthyCand.url()));
    // The gate, not the verdict: on a busy machine the harness-health check may hold the verdict.
    expect(r.runJson.verdict!.gates.find((g) => g.id === 'no-leak'), r.out + r.err).toMatchObject({ status: 'pass' });
    expect(r.code === 0 || r.runJson.harness?.warnings?.length).toBeTruthy();
    expect(r.runJson.serverMetrics!.series.every((s) => s.restarts === undefined)).toBe(true);
  });
});

describe('parity run with a real Prometheus: a leak gate on a target restarted mid-window', () => {
  let prom: PrometheusHandle;
  let base: ChatFixture;
  let cand: ChatFixture;
  const steady = processMetrics({ leakPerScrape: 0 });
  const leaking = processMetrics({ leakPerScrape: 5 * MB });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);

  beforeAll(async () => {
    const common = { framing: 'named-events' as const, tokens: 3, firstContentDelayMs: 2, interEventGapMs: 2 };
    [base, cand] = await Promise.all([startChatFixture(common), startChatFixture(common)]);
    await Promise.all([steady.listen(), leaking.listen()]);
    prom = await startPrometheus([steady.host(), leaking.host()], { scrapeIntervalMs: 1000 });
    await prom.waitForScrapes(2);
  });
  afterAll(async () => {
    await prom?.stop();
    await Promise.all([base?.close(), cand?.close(), steady.close(), leaking.close()]);
  });

  it('Prometheus sees process_start_time_seconds change: the growth gate is inconclusive, the restart in run.json', async () => {
    const file = path.join(ws.dir, 'prom.config.json');
    const target = (n: string, role: string, url: string, proc: string) => ({ name: n, role, baseUrl: url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events', metrics: { labels: { proc } } });
    writeFileSync(
      file,
      JSON.stringify({
        name: 'prom-restart',
        targets: [target('base', 'baseline', base.url, steady.host()), target('cand', 'candidate', cand.url, leaking.host())],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { vus: 2, duration: '4s', timeouts: { firstEvent: '2s', idle: '1s', total: '5s' } },
        metrics: { prometheus: prom.url, step: '1s', settle: '1500ms', series: [{ name: 'rss', prometheus: 'process_resident_memory_bytes{instance="{{proc}}"}' }] },
      }),
    );
    const policy = path.join(ws.dir, 'prom-policy.yaml');
    writeFileSync(policy, ['name: memory', 'minSamples: 5', 'gates:', '  - { name: no-leak, metric: server.rss.growth, threshold: "<= 20000000" }', ''].join('\n'));
    const timer = setTimeout(() => leaking.restart(), 2000);
    const c = captureIO();
    await main(['run', file, '--policy', policy, '--out', path.join(ws.dir, 'prom-out'), '--quiet'], c.io);
    clearTimeout(timer);
    const runJson = JSON.parse(readFileSync(path.resolve(/run\.json: (.*)/.exec(c.out)![1]!.trim()), 'utf8')) as RunResult;
    const cs = runJson.serverMetrics!.series.find((s) => s.role === 'candidate')!;
    expect(cs.stats!.growth, c.out + c.err).toBeLessThan(20 * MB);
    expect(cs.restarts, c.out).toHaveLength(1);
    expect(cs.restarts![0]!.signal).toBe('prometheus');
    expect(runJson.verdict!.gates.find((g) => g.id === 'no-leak')).toMatchObject({ status: 'inconclusive', reason: expect.stringMatching(/candidate cand restarted during the window \(Prometheus saw process_start_time_seconds change between/) });
    expect(runJson.serverMetrics!.series.find((s) => s.role === 'baseline')!.restarts).toBeUndefined();
  });
});
