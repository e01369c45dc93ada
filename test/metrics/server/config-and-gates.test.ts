import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../harness/config/load.ts';
import { ConfigError } from '../../../harness/errors.ts';
import { evaluatePolicy } from '../../../harness/gates/evaluate.ts';
import type { ServerSeriesResult } from '../../../harness/metrics/server/result.ts';
import { seriesFromReads } from '../../../harness/metrics/server/series.ts';
import type { Reading } from '../../../harness/metrics/server/exposition.ts';
import { planServerMetrics } from '../../../harness/metrics/server/plan.ts';
import { streamConfig, tempWorkspace } from '../../helpers/config.ts';
import { pairs, policyOf, runOf } from '../../helpers/gates.ts';

const ws = tempWorkspace();
const cfg = (metrics: unknown, candidateMetrics?: unknown) => {
  const c = streamConfig({ baselineUrl: 'http://127.0.0.1:8001', candidateUrl: 'http://127.0.0.1:8002/api', promptsFile: ws.promptsFile }) as Record<string, unknown> & { targets: Record<string, unknown>[] };
  if (candidateMetrics) c.targets[1]!.metrics = candidateMetrics;
  return { ...c, metrics };
};
const issuesOf = async (raw: unknown) => {
  try {
    await resolveConfig(raw, 'server.json', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe('the metrics config section', () => {
  it('fills PromQL templates per target and joins endpoint paths to each baseUrl', async () => {
    const c = cfg({
      prometheus: 'http://127.0.0.1:9090',
      json: '/api/metrics/observability',
      series: [{ name: 'mem', prometheus: 'process_resident_memory_bytes{instance="{{instance}}",job="{{job}}",t="{{target}}"}' }, { name: 'q', scrape: 'queue_length' }, { name: 'slo', json: 'slo_compliance' }],
    });
    const loaded = await resolveConfig({ ...c, targets: withJob() }, 'server.json', {});
    const plan = planServerMetrics(loaded)!;
    const by = (name: string, target: string) => plan.series.find((s) => s.name === name && s.target === target)!;
    expect(by('mem', 'base').query).toBe('process_resident_memory_bytes{instance="127.0.0.1:8001",job="python",t="base"}');
    expect(by('mem', 'cand').query).toBe('process_resident_memory_bytes{instance="127.0.0.1:8002",job="node",t="cand"}');
    expect(by('q', 'base').endpoint).toBe('http://127.0.0.1:8001/metrics');
    expect(by('q', 'cand').endpoint).toBe('http://127.0.0.1:9100/metrics');
    expect(by('slo', 'cand').endpoint).toBe('http://127.0.0.1:8002/api/api/metrics/observability');
  });

  it('reports every problem with its field path: two sources, labels on PromQL; then unknown placeholder, no Prometheus URL, no JSON endpoint, duplicates', async () => {
    const shape = (await issuesOf(cfg({ series: [{ name: 'b', scrape: 'x', json: 'y' }, { name: 'd', prometheus: 'up', labels: { a: 'b' } }] }))).map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(shape).toMatch(/metrics\.series\[0\]: give exactly one source/);
    expect(shape).toMatch(/metrics\.series\[1\]\.labels: "labels" filters a "scrape" series/);
    const creds = (await issuesOf(cfg({ prometheus: 'http://admin:hunter2@prom:9090', json: 'http://u:p@10.0.0.1/obs', series: [] }))).map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(creds).toMatch(/metrics\.prometheus: credentials in a metrics URL/);
    expect(creds).toMatch(/metrics\.json: credentials in a metrics URL/);
    const cross = (await issuesOf(cfg({ series: [{ name: 'a', prometheus: 'up{pod="{{pod}}"}' }, { name: 'c', json: 'slo' }, { name: 'a', scrape: 'up' }] }))).map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(cross).toMatch(/metrics\.series\[0\]\.prometheus: no Prometheus URL on target "base"/);
    expect(cross).toMatch(/unknown placeholder \{\{pod\}\}.*add it to the target's metrics\.labels/);
    expect(cross).toMatch(/metrics\.series\[1\]\.json: no JSON metrics endpoint/);
    expect(cross).toMatch(/metrics\.series\[2\]\.name: duplicate series name "a"/);
  });
});

function withJob() {
  return [
    { name: 'base', role: 'baseline', baseUrl: 'http://127.0.0.1:8001', routes: { chat: 'POST /chat-stream' }, stream: 'named-events', metrics: { labels: { job: 'python' } } },
    { name: 'cand', role: 'candidate', baseUrl: 'http://127.0.0.1:8002/api', routes: { chat: 'POST /chat-stream' }, stream: 'named-events', metrics: { labels: { job: 'node' }, scrape: 'http://127.0.0.1:9100/metrics' } },
  ];
}

const serie = (name: string, role: 'baseline' | 'candidate', values: number[], over: Partial<ServerSeriesResult> = {}): ServerSeriesResult => ({
  name,
  target: role === 'baseline' ? 'base' : 'cand',
  role,
  source: 'prometheus',
  query: name,
  value: values.at(-1) ?? null,
  points: values.map((v, i) => [i * 1000, v]),
  stats: values.length ? { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, last: values.at(-1)!, p95: Math.max(...values), growth: values.at(-1)! - values[0]!, slope: 0 } : null,
  ...over,
});

describe('server.<series> gates', () => {
  const ps = pairs(200, () => ({}), () => ({}));
  const judge = async (gates: { metric: string; threshold: string }[], series: ServerSeriesResult[] | undefined) => {
    const run = runOf(ps, series ? { serverMetrics: { startedAt: '', endedAt: '', series } } : {});
    return evaluatePolicy(await policyOf(gates), run, ps, new Date(0));
  };

  it('absolute, ratio and delta thresholds on the value and on statistics of the series', async () => {
    const v = await judge(
      [
        { metric: 'server.cpu.max', threshold: '< 70%' },
        { metric: 'server.cpu.mean', threshold: '<= 1.3x baseline' },
        { metric: 'server.queue.last', threshold: '<= baseline + 10' },
        { metric: 'server.queue.p95', threshold: '< 100' },
        { metric: 'server.cpu', threshold: '<= +5pp' },
      ],
      [serie('cpu', 'baseline', [0.4, 0.5]), serie('cpu', 'candidate', [0.5, 0.62]), serie('queue', 'baseline', [5, 8]), serie('queue', 'candidate', [20, 30])],
    );
    expect(v.gates.filter((g) => g.id !== 'failed-requests').map((g) => [g.metric, g.status, g.value])).toEqual([
      ['server.cpu.max', 'pass', 0.62],
      ['server.cpu.mean', 'pass', 0.56 / 0.45],
      ['server.queue.last', 'fail', 22],
      ['server.queue.p95', 'pass', 30],
      ['server.cpu', 'fail', expect.closeTo(0.12, 9)],
    ]);
    expect(v.status).toBe('fail');
  });

  it('missing data is never a pass: no section, no such series, a source error, a zero baseline, too few points', async () => {
    const cases: [ServerSeriesResult[] | undefined, string, RegExp][] = [
      [undefined, 'server.mem.max', /no server-side metrics in this run/],
      [[serie('cpu', 'candidate', [1])], 'server.mem.max', /no server-side series "mem" for the candidate \(its series: cpu\)/],
      [[serie('mem', 'candidate', [], { value: null, stats: null, error: 'source unreachable: http://127.0.0.1:9: ECONNREFUSED' })], 'server.mem', /candidate cand: source unreachable/],
      [[serie('mem', 'candidate', [], { value: null, stats: null, error: 'empty series: Prometheus returned no data' })], 'server.mem.last', /empty series/],
      [[serie('mem', 'candidate', [5])], 'server.mem.growth', /1 point in the series, 2 needed for growth/],
    ];
    for (const [series, metric, why] of cases) {
      const v = await judge([{ metric, threshold: '<= 100' }], series);
      expect(v.status, metric).toBe('inconclusive');
      expect(v.gates[0]!.reason).toMatch(why);
    }
    const zero = await judge([{ metric: 'server.q', threshold: '<= 1.5x baseline' }], [serie('q', 'baseline', [0]), serie('q', 'candidate', [3])]);
    expect(zero.gates[0]).toMatchObject({ status: 'inconclusive', reason: expect.stringMatching(/baseline is 0/) });
    const noBase = await judge([{ metric: 'server.q', threshold: '<= baseline + 1' }], [serie('q', 'candidate', [3])]);
    expect(noBase.gates[0]!.status).toBe('inconclusive');
  });

  it('a polled series with more than 10% of its reads failed mid-window cannot pass: the failed reads may be the worst moments', async () => {
    // Scrapes every second; the candidate's /metrics timed out while it struggled (reads 3..6 of 20),
    // and the max over the reads that answered is well within the limit.
    const ok = (t: number, v: number) => ({ t, reading: { kind: 'gauge', value: v } as Reading });
    const down = (t: number) => ({ t, reading: 'source unreachable: http://127.0.0.1:9100/metrics: timed out' });
    const reads = Array.from({ length: 20 }, (_, i) => (i >= 3 && i <= 6 ? down(i * 1000) : ok(i * 1000, 200e6)));
    const polled = seriesFromReads(reads, 0.95);
    expect(polled).toMatchObject({ value: 200e6, missed: 4, reads: 20 });
    const cand = serie('mem', 'candidate', [], { ...polled, source: 'scrape' } as Partial<ServerSeriesResult>);
    const gap = await judge([{ metric: 'server.mem.max', threshold: '< 1000000000' }], [cand]);
    expect(gap.gates[0]).toMatchObject({ status: 'inconclusive', reason: expect.stringMatching(/candidate cand: 4 of 20 reads in the window failed \(more than 10%\)/) });
    expect(gap.status).toBe('inconclusive');
    // One transient miss in 20 (5%): judged on the reads that answered.
    const one = seriesFromReads(reads.map((r, i) => (i >= 4 && i <= 6 ? ok(i * 1000, 200e6) : r)), 0.95);
    expect(one).toMatchObject({ missed: 1, reads: 20 });
    const fine = await judge([{ metric: 'server.mem.max', threshold: '< 1000000000' }], [serie('mem', 'candidate', [], { ...one, source: 'scrape' } as Partial<ServerSeriesResult>)]);
    expect(fine.gates[0]!.status).toBe('pass');
    // A stored run from before `reads` was recorded: the share is estimated from its points.
    const { reads: _r, ...old } = polled;
    const stored = await judge([{ metric: 'server.mem.max', threshold: '< 1000000000' }], [serie('mem', 'candidate', [], { ...old, source: 'scrape' } as Partial<ServerSeriesResult>)]);
    expect(stored.gates[0]!.status).toBe('inconclusive');
  });

  it('a bad server metric or unit is a policy error', async () => {
    await expect(policyOf([{ metric: 'server.mem.p42', threshold: '<= 1' }])).rejects.toThrow(/unknown metric "server\.mem\.p42".*server\.<series>/s);
    await expect(policyOf([{ metric: 'server.latency.p95', threshold: '<= 500ms' }])).rejects.toThrow(/source's own units/);
  });
});

describe('runbook presets with server-side criteria', () => {
  it('each -server preset extends its wire preset and adds server gates quoting the runbook', async () => {
    const { loadPolicy } = await import('../../../harness/gates/load.ts');
    for (const [name, parent, metrics] of [
      ['seed-002-staging-soak-server', 'seed-002-staging-soak', ['server.persistence_error_rate.max', 'server.schema_repair_rate.max', 'server.slo_compliance.last']],
      ['seed-003-cutover-server', 'seed-003-cutover', ['server.memory_bytes.slope', 'server.http_5xx_ratio.max', 'server.latency_p99_seconds.p95', 'server.db_pool_waiting.max']],
      ['seed-004-f2-server', 'seed-004-f2', ['server.metrics_up.min', 'server.memory_ratio.max']],
      ['seed-004-f3-server', 'seed-004-f3', ['server.queue_length.max', 'server.dead_letter_jobs.last', 'server.worker_cpu_ratio.max', 'server.memory_ratio.max']],
    ] as const) {
      const p = await loadPolicy(name);
      const base = await loadPolicy(parent);
      expect(p.gates.slice(0, base.gates.length).map((g) => g.id)).toEqual(base.gates.map((g) => g.id));
      const own = p.gates.slice(base.gates.length);
      expect(own.map((g) => g.metric.name)).toEqual(metrics);
      for (const g of own) expect(g.source, `${name} ${g.id}`).toBeTruthy();
    }
  });

  it('seed-004-f3-server on a run whose candidate queue backed up: the queue gate fails; an unmapped series is inconclusive', async () => {
    const { loadPolicy } = await import('../../../harness/gates/load.ts');
    const policy = await loadPolicy('seed-004-f3-server');
    const ps = pairs(200, () => ({}), () => ({}));
    const series = [serie('queue_length', 'candidate', [10, 150, 40]), serie('dead_letter_jobs', 'candidate', [0, 0]), serie('worker_cpu_ratio', 'candidate', [0.3, 0.55])];
    const v = evaluatePolicy(policy, runOf(ps, { serverMetrics: { startedAt: '', endedAt: '', series } }), ps, new Date(0));
    const status = (id: string) => v.gates.find((g) => g.id === id)!;
    expect(status('queue-length')).toMatchObject({ status: 'fail', value: 150 });
    expect(status('dead-letter').status).toBe('pass');
    expect(status('worker-cpu').status).toBe('pass');
    expect(status('rollback-memory')).toMatchObject({ status: 'inconclusive', reason: expect.stringMatching(/no server-side series "memory_ratio"/) });
    expect(v.status).toBe('fail');
  });
});

describe('policy against config, before traffic', () => {
  it('a server gate scoped to a scenario, or on a series the config does not read, is a config error naming the fix', async () => {
    const { checkGateSeries } = await import('../../../harness/gates/server.ts');
    const loaded = await resolveConfig(cfg({ prometheus: 'http://127.0.0.1:9090', series: [{ name: 'rss', prometheus: 'up' }] }), 'server.json', {});
    const ok = await policyOf([{ metric: 'server.rss.max', threshold: '<= 1' }]);
    expect(() => checkGateSeries(ok, loaded)).not.toThrow();
    const bad = await policyOf([
      { metric: 'server.rss.max', threshold: '<= 1', scenario: 's' },
      { metric: 'server.heap', threshold: '<= 1' },
    ]);
    const err = (() => {
      try {
        checkGateSeries(bad, loaded);
      } catch (e) {
        return e as ConfigError;
      }
      return null;
    })();
    expect(err?.issues.map((i) => i.path)).toEqual(['gates[0].scenario', 'gates[1].metric']);
    expect(err?.issues[1]!.message).toMatch(/no server-side series "heap"; add \{ name: heap, prometheus \| scrape \| json: \.\.\. \}.*its series: rss/);
  });
});
