import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../../fixtures/backends/chat-backend.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempWorkspace } from '../../helpers/config.ts';
import { freePort, startPrometheus, type PrometheusHandle } from '../../helpers/prometheus.ts';
import type { RunResult } from '../../../harness/run/result.ts';

/**
 * When the server-side data is not there, the verdict must not pass: Prometheus down before or
 * during the run leaves its series "source unreachable" and the gate inconclusive. A query
 * Prometheus cannot parse is a config error before any request reaches a target.
 */
describe('server-side metrics when the source fails', () => {
  let base: ChatFixture;
  let cand: ChatFixture;
  let prom: PrometheusHandle;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const write = (name: string, metrics: unknown, load: unknown = { vus: 4, duration: '2s', timeouts: { firstEvent: '2s', idle: '1s', total: '5s' } }) => {
    const file = path.join(ws.dir, `${name}.config.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name,
        targets: [
          { name: 'base', role: 'baseline', baseUrl: base.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events', health: ['/health'] },
          { name: 'cand', role: 'candidate', baseUrl: cand.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events', health: ['/health'] },
        ],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load,
        preflight: { retries: 0, interval: 10 },
        metrics,
      }),
    );
    return file;
  };
  const policy = path.join(ws.dir, 'policy.yaml');
  writeFileSync(
    policy,
    ['name: memory', 'minSamples: 5', 'gates:', '  - { metric: error_rate, threshold: "<= 50%" }', '  - { name: memory-stable, metric: server.memory.growth, threshold: "<= 1000000" }', ''].join('\n'),
  );
  const runJsonOf = (out: string) => JSON.parse(readFileSync(path.resolve(/run\.json: (.*)/.exec(out)![1]!.trim()), 'utf8')) as RunResult;

  beforeAll(async () => {
    const common = { framing: 'named-events' as const, tokens: 3, firstContentDelayMs: 2, interEventGapMs: 2 };
    base = await startChatFixture(common);
    cand = await startChatFixture(common);
    prom = await startPrometheus([new URL(base.url).host, new URL(cand.url).host], { scrapeIntervalMs: 1000 });
  });
  afterAll(async () => {
    await prom?.stop();
    await Promise.all([base?.close(), cand?.close()]);
  });

  it('a PromQL syntax error is a config error at preflight: exit 3, the field named, no request sent', async () => {
    const out = path.join(ws.dir, 'bad-promql-out');
    const file = write('bad-promql', {
      prometheus: prom.url,
      series: [{ name: 'memory', prometheus: 'sum(rate(http_requests_total{instance="{{instance}}"}[5m)' }],
    });
    const served = base.served.length + cand.served.length;
    const r = await runCli(['run', file, '--policy', policy, '--out', out, '--quiet'], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/rejected the query for target "base"/);
    expect(r.stderr).toMatch(/→ at metrics\.series\[0\]\.prometheus/);
    expect(r.stderr).toMatch(/fix the PromQL/);
    // Before the load, and before anything else: no stream request, no run folder.
    expect(base.served.length + cand.served.length).toBe(served);
    expect(existsSync(out)).toBe(false);
  });

  it('a query that parses but cannot be range-queried (a range vector) is caught at preflight too', async () => {
    const file = write('range-vector', { prometheus: prom.url, series: [{ name: 'memory', prometheus: 'fixture_memory_bytes{instance="{{instance}}"}[1m]' }] });
    const r = await runCli(['run', file, '--policy', policy, '--out', path.join(ws.dir, 'range-vector-out'), '--quiet'], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/metrics\.series\[0\]\.prometheus/);
    expect(r.stderr).toMatch(/range vector/);
  });

  it('a gate on a server series the config does not read is a config error before traffic, naming the series to add', async () => {
    const out = path.join(ws.dir, 'unmapped-out');
    const file = write('unmapped', { prometheus: prom.url, series: [{ name: 'rss', prometheus: 'fixture_memory_bytes{instance="{{instance}}"}' }] });
    const served = base.served.length + cand.served.length;
    const r = await runCli(['run', file, '--policy', 'seed-004-f3-server', '--out', out, '--quiet'], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/seed-004-f3-server\.yaml: 4 problems/);
    expect(r.stderr).toMatch(/gate "queue-length" reads server\.queue_length\.max, but .* has no server-side series "queue_length"; add/);
    expect(r.stderr).toMatch(/its series: rss/);
    expect(base.served.length + cand.served.length).toBe(served);
    expect(existsSync(out)).toBe(false);
  });

  it('Prometheus down from the start: the run goes on, the gate is inconclusive with "source unreachable", exit 2', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const file = write('prom-down', { prometheus: dead, step: '1s', settle: '0s', series: [{ name: 'memory', prometheus: 'fixture_memory_bytes{instance="{{instance}}"}' }] });
    const r = await runCli(['run', file, '--policy', policy, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Prometheus unreachable at preflight/);
    const run = runJsonOf(r.stdout);
    expect(run.verdict!.status).toBe('inconclusive');
    const gate = run.verdict!.gates.find((g) => g.id === 'memory-stable')!;
    expect(gate.status).toBe('inconclusive');
    expect(gate.reason).toMatch(/source unreachable/);
    expect(run.verdict!.gates.find((g) => g.metric === 'error_rate')!.status).toBe('pass');
    expect(run.serverMetrics!.series.every((s) => s.error?.startsWith('source unreachable'))).toBe(true);
    const junit = readFileSync(path.join(path.dirname(path.resolve(/run\.json: (.*)/.exec(r.stdout)![1]!.trim())), 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase name="server.memory" classname="parity.server.prometheus">\s*<error message="baseline base: source unreachable/);
  });

  it('Prometheus stopped during the run: inconclusive, "source unreachable", never a pass', async () => {
    await prom.waitForScrapes(1);
    const file = write('prom-dies', { prometheus: prom.url, step: '1s', settle: '500ms', series: [{ name: 'memory', prometheus: 'fixture_memory_bytes{instance="{{instance}}"}' }] });
    const before = cand.served.length;
    void (async () => {
      while (cand.served.length === before) await sleep(20);
      await prom.stop();
    })();
    const r = await runCli(['run', file, '--policy', policy, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(2);
    const run = runJsonOf(r.stdout);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(run.verdict!.gates.find((g) => g.id === 'memory-stable')!.reason).toMatch(/candidate cand: source unreachable/);
  });
});
