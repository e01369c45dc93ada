import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../../fixtures/backends/chat-backend.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempWorkspace } from '../../helpers/config.ts';
import { startPrometheus, type PrometheusHandle } from '../../helpers/prometheus.ts';
import type { RunResult } from '../../../harness/run/result.ts';
import { evaluatePolicy } from '../../../harness/gates/evaluate.ts';
import { loadPolicy } from '../../../harness/gates/load.ts';
import type { ServerSeriesResult } from '../../../harness/metrics/server/result.ts';

/**
 * Against a real Prometheus (Debian's) scraping two fixture backends every second: the candidate
 * leaks memory at a known rate, answers more 5xx, and its queue gauge is moved mid-run. One paired
 * run reads every source kind for the load's window; the assertions check what was read against
 * what the fixtures set and counted, and against parity's own wire-side numbers.
 */
const LEAK = 2_000_000; // bytes per second, candidate only
const SCRAPE_MS = 1000;

describe('server-side metrics from Prometheus, /metrics and JSON, same window as the load', () => {
  let prom: PrometheusHandle;
  let base: ChatFixture;
  let cand: ChatFixture;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  let code: number;
  let stdout: string;
  let run: RunResult;
  let runJson: string;
  let policyFile: string;
  const series = (name: string, role: 'baseline' | 'candidate'): ServerSeriesResult => run.serverMetrics!.series.find((s) => s.name === name && s.role === role)!;

  beforeAll(async () => {
    const common = { framing: 'named-events' as const, tokens: 3, firstContentDelayMs: 2, interEventGapMs: 1 };
    base = await startChatFixture({ ...common, faults: { httpError: 0.03 }, metrics: { memoryBytes: 80e6, queueLength: 10 } });
    cand = await startChatFixture({ ...common, faults: { httpError: 0.08 }, metrics: { memoryBytes: 80e6, leakBytesPerSec: LEAK, queueLength: 10, observability: { sloCompliance: 0.97 } } });
    const hostOf = (f: ChatFixture) => new URL(f.url).host;
    prom = await startPrometheus([hostOf(base), hostOf(cand)], { scrapeIntervalMs: SCRAPE_MS });
    await prom.waitForScrapes(2);

    const configFile = path.join(ws.dir, 'server.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        name: 'server metrics',
        targets: [
          { name: 'base', role: 'baseline', baseUrl: base.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
          { name: 'cand', role: 'candidate', baseUrl: cand.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
        ],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { model: 'constant-arrival-rate', rate: 50, duration: '4s', timeouts: { firstEvent: '2s', idle: '1s', total: '5s' } },
        preflight: { retries: 0, interval: 10 },
        metrics: {
          prometheus: prom.url,
          step: '1s',
          interval: '1s',
          settle: '2s',
          json: '/api/metrics/observability',
          series: [
            { name: 'memory', prometheus: 'fixture_memory_bytes{instance="{{instance}}"}' },
            // Nothing of the target in the query: both targets read the one series (the max of the two fixtures).
            { name: 'memory_unscoped', prometheus: 'max(fixture_memory_bytes)' },
            {
              name: 'http_5xx_rate',
              prometheus: 'sum(increase(http_requests_total{instance="{{instance}}",status=~"5.."}[{{window}}])) / sum(increase(http_requests_total{instance="{{instance}}"}[{{window}}]))',
            },
            { name: 'memory_scraped', scrape: 'fixture_memory_bytes' },
            { name: 'requests', scrape: 'http_requests_total' },
            { name: 'errors', scrape: 'http_requests_total', labels: { status: '5..' } },
            { name: 'latency', scrape: 'http_request_duration_seconds', quantile: 0.5 },
            { name: 'queue', scrape: 'fixture_queue_length' },
            { name: 'slo', json: 'slo_compliance' },
          ],
        },
      }),
    );
    policyFile = path.join(ws.dir, 'server-policy.yaml');
    writeFileSync(
      policyFile,
      [
        'name: server-window',
        'gates:',
        '  - { name: memory-stable, metric: server.memory.growth, threshold: "<= 1000000", source: "seed 003: Memory usage stable under sustained load" }',
        '  - { name: memory-slope, metric: server.memory_scraped.slope, threshold: "<= baseline + 100000" }',
        '  - { name: server-5xx, metric: server.http_5xx_rate, threshold: "<= +10pp" }',
        '  - { name: queue, metric: server.queue.max, threshold: "< 100", severity: warn }',
        '  - { name: slo, metric: server.slo, threshold: ">= 99%", severity: warn }',
        '',
      ].join('\n'),
    );
    // The queue backs up on the candidate for 1.5 s once the load has reached it, then drains to 40.
    void (async () => {
      while (cand.served.length === 0) await sleep(20);
      await sleep(500);
      cand.metrics.setQueue(150);
      await sleep(1500);
      cand.metrics.setQueue(40);
    })();
    const r = await runCli(['run', configFile, '--policy', policyFile, '--out', ws.out, '--quiet'], {});
    code = r.code;
    stdout = r.stdout + r.stderr;
    runJson = /run\.json: (.*)/.exec(r.stdout)![1]!.trim();
    run = JSON.parse(readFileSync(path.resolve(runJson), 'utf8')) as RunResult;
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await Promise.all([base?.close(), cand?.close()]);
  });

  it('the leaking candidate fails "memory stable"; the baseline stays within the same limit', () => {
    expect(code, stdout).toBe(1);
    const gate = run.verdict!.gates.find((g) => g.id === 'memory-stable')!;
    expect(gate.status, gate.reason).toBe('fail');
    expect(gate.observed.baseline).toBe(0);
    expect(gate.observed.candidate!).toBeGreaterThan(gate.limit);
    const slope = run.verdict!.gates.find((g) => g.id === 'memory-slope')!;
    expect(slope.status, slope.reason).toBe('fail');
  });

  it('a shared PromQL with nothing of the target in it reads one series twice: a ratio or delta gate on it is inconclusive, never a pass', async () => {
    expect(series('memory_unscoped', 'baseline').sameSeries).toBe(true);
    expect(series('memory_unscoped', 'candidate').value).toBe(series('memory_unscoped', 'baseline').value);
    expect(series('memory', 'baseline').sameSeries).toBeUndefined();
    const file = path.join(ws.dir, 'unscoped-policy.yaml');
    writeFileSync(file, ['gates:', '  - { name: unscoped-ratio, metric: server.memory_unscoped.max, threshold: "<= 1.1x baseline" }', '  - { name: unscoped-abs, metric: server.memory_unscoped.max, threshold: "<= 1000000000" }', ''].join('\n'));
    const v = evaluatePolicy(await loadPolicy(file, {}), run, [], new Date(0));
    const ratio = v.gates.find((g) => g.id === 'unscoped-ratio')!;
    expect(ratio.status).toBe('inconclusive');
    expect(ratio.reason).toMatch(/both targets read the same series "memory_unscoped" \(prometheus max\(fixture_memory_bytes\)/);
    // An absolute limit judges the one series as it is.
    expect(v.gates.find((g) => g.id === 'unscoped-abs')!.status).toBe('pass');
  });

  it('the same gate on the baseline (roles swapped in the stored series) passes', async () => {
    const swap = (r: 'baseline' | 'candidate') => (r === 'baseline' ? 'candidate' : 'baseline');
    const swapped: RunResult = { ...run, serverMetrics: { ...run.serverMetrics!, series: run.serverMetrics!.series.map((x) => ({ ...x, role: swap(x.role) })) } };
    const policy = await loadPolicy(policyFile, {});
    const v = evaluatePolicy({ ...policy, gates: policy.gates.filter((g) => g.id.startsWith('memory')) }, swapped, [], new Date(0));
    expect(v.gates.filter((g) => g.id !== 'failed-requests').map((g) => [g.id, g.status])).toEqual([
      ['memory-stable', 'pass'],
      ['memory-slope', 'pass'],
    ]);
  });

  it('memory read through Prometheus equals the gauge the fixture set, within one scrape interval', () => {
    const s = series('memory', 'candidate');
    expect(s.error).toBeUndefined();
    expect(s.points.length).toBeGreaterThanOrEqual(4);
    // A point at t carries the last scrape at or before t: at most one scrape interval from the gauge at t.
    for (const [t, v] of s.points) expect(Math.abs(v - cand.metrics.memoryAt(t)), `at ${t}`).toBeLessThanOrEqual(LEAK * (SCRAPE_MS / 1000));
    // Growth over the window: the leak rate times the window, give or take one scrape interval.
    const span = (s.points.at(-1)![0] - s.points[0]![0]) / 1000;
    expect(Math.abs(s.stats!.growth - LEAK * span)).toBeLessThanOrEqual(LEAK * (SCRAPE_MS / 1000) * 1.25);
    expect(series('memory', 'baseline').stats).toMatchObject({ min: 80e6, max: 80e6, growth: 0 });
  });

  it('memory read by scraping /metrics equals the gauge at each scrape; the slope is the leak rate', () => {
    const s = series('memory_scraped', 'candidate');
    expect(s.kind).toBe('gauge');
    // Every value read is one the fixture served (its own log), and its time stamp is within one scrape interval (1 s) of when it was served.
    for (const [t, v] of s.points) {
      const served = cand.metrics.memoryServed.find(([, m]) => m === v);
      expect(served, `value ${v} read at ${t} was never served`).toBeDefined();
      expect(Math.abs(t - served![0])).toBeLessThanOrEqual(SCRAPE_MS);
      expect(Math.abs(v - cand.metrics.memoryAt(t))).toBeLessThanOrEqual(LEAK * (SCRAPE_MS / 1000));
    }
    expect(s.stats!.slope).toBeGreaterThan(LEAK * 0.9);
    expect(s.stats!.slope).toBeLessThan(LEAK * 1.1);
  });

  it("Prometheus' 5xx rate agrees with parity's wire-side 5xx rate for the same run within ±0.5 pp", () => {
    const sum = run.summaries[0]!;
    for (const role of ['baseline', 'candidate'] as const) {
      const s = series('http_5xx_rate', role);
      expect(s.error, s.query).toBeUndefined();
      expect(Math.abs(s.value! - sum[role].http5xxRate), `${role}: prometheus ${s.value} vs wire ${sum[role].http5xxRate}`).toBeLessThanOrEqual(0.005);
    }
    expect(sum.candidate.http5xxRate).toBeGreaterThan(sum.baseline.http5xxRate);
  });

  it('scraped counters become deltas over the window: requests and 5xx equal what the fixture counted', () => {
    for (const [role, f] of [['baseline', base], ['candidate', cand]] as const) {
      const counted = f.metrics.statusCounts();
      const all = [...counted.values()].reduce((a, b) => a + b, 0);
      const req = series('requests', role);
      expect(req.kind).toBe('counter');
      // The read before the window races the load's first requests by a few ms.
      expect(req.value!).toBeGreaterThanOrEqual(all - 2);
      expect(req.value!).toBeLessThanOrEqual(all);
      expect(series('errors', role).value).toBeGreaterThanOrEqual((counted.get(503) ?? 0) - 1);
      expect(series('errors', role).value).toBeLessThanOrEqual(counted.get(503) ?? 0);
    }
  });

  it('a gauge the test moved shows its max; a histogram gives a quantile; the JSON endpoint is polled', () => {
    expect(series('queue', 'candidate').stats).toMatchObject({ max: 150, min: 10 });
    expect(series('queue', 'baseline').stats).toMatchObject({ max: 10, min: 10 });
    expect(run.verdict!.gates.find((g) => g.id === 'queue')!.status).toBe('fail');
    const lat = series('latency', 'candidate');
    expect(lat.kind).toBe('histogram');
    expect(lat.value!).toBeGreaterThan(0);
    expect(lat.value!).toBeLessThan(1);
    expect(series('slo', 'candidate').error).toBeUndefined();
    expect(series('slo', 'candidate')).toMatchObject({ value: 0.97, source: 'json' });
    expect(run.verdict!.gates.find((g) => g.id === 'slo')).toMatchObject({ status: 'fail', severity: 'warn' });
  });

  it('parity gate and parity report work offline on the stored run (Prometheus stopped)', async () => {
    await prom.stop();
    const g = await runCli(['gate', runJson, '--policy', policyFile], {});
    expect(g.code, g.stderr).toBe(1);
    expect(g.stdout).toMatch(/memory-stable/);
    const again = JSON.parse(readFileSync(path.resolve(runJson), 'utf8')) as RunResult;
    expect(again.verdict!.gates.map((x) => [x.id, x.status])).toEqual(run.verdict!.gates.map((x) => [x.id, x.status]));
    const rep = await runCli(['report', runJson], {});
    expect(rep.code, rep.stderr).toBe(0);
  });

  it('every report shows the server-side series beside the wire-side numbers: table and time series', () => {
    const dir = path.dirname(path.resolve(runJson));
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/## Server-side metrics/);
    expect(md).toMatch(/\| `server\.memory` \| 80M \(max 80M · mean 80M · p95 80M · Δ 0\) \| 1\d\d(\.\d)?M \(max /);
    expect(md).toMatch(/`server\.queue`[^\n]*[▁▂▃▄▅▆▇█]{3,}/);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/<h2>Server-side metrics/);
    for (const name of ['memory', 'http_5xx_rate', 'queue', 'latency', 'slo']) expect(html).toContain(`data-chart="server-${name}"`);
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="server-side metrics" tests="9" failures="0" errors="0"/);
    expect(junit).toMatch(/<testcase name="memory-stable: server.memory.growth &lt;= 1000000"[^>]*>\s*<failure/);
    expect(stdout).toMatch(/server-side metrics \(baseline \| candidate\)\n\s+server\.memory /);
  });
});
