import { describe, expect, it } from 'vitest';
import { Registry, Counter, Histogram, Gauge } from 'prom-client';
import { bucketQuantile, parseExposition, readFamily, type Reading } from '../../../harness/metrics/server/exposition.ts';
import { readJsonNumber } from '../../../harness/metrics/server/json-endpoint.ts';
import { seriesFromReads } from '../../../harness/metrics/server/series.ts';
import { seriesStats } from '../../../harness/metrics/server/stats.ts';

/** Readings of /metrics text as prom-client writes it, turned into series over a window. */
describe('scraped /metrics → series', () => {
  const registry = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'h', labelNames: ['status'], registers: [registry] });
  const latency = new Histogram({ name: 'http_request_duration_seconds', help: 'h', buckets: [0.1, 0.2, 0.4, 0.8], registers: [registry] });
  const queue = new Gauge({ name: 'queue_length', help: 'h', registers: [registry] });
  const read = async (name: string, labels?: Record<string, string>) => readFamily(parseExposition(await registry.metrics()), name, labels);

  it('counters become the increase over the window and per-second rates; a label filter keeps matching samples', async () => {
    requests.inc({ status: '200' }, 10);
    requests.inc({ status: '503' }, 1);
    const reads = [{ t: 0, reading: await read('http_requests_total') }];
    const fiveXX = [{ t: 0, reading: await read('http_requests_total', { status: '5..' }) }];
    requests.inc({ status: '200' }, 18);
    requests.inc({ status: '503' }, 2);
    reads.push({ t: 2000, reading: await read('http_requests_total') });
    fiveXX.push({ t: 2000, reading: await read('http_requests_total', { status: '5..' }) });
    const s = seriesFromReads(reads, 0.95);
    expect(s).toMatchObject({ kind: 'counter', value: 20, points: [[2000, 10]] });
    expect(seriesFromReads(fiveXX, 0.95).value).toBe(2);
  });

  it('a counter that goes down was reset: it counts from zero again', () => {
    const c = (t: number, value: number) => ({ t, reading: { kind: 'counter', value } as Reading });
    expect(seriesFromReads([c(0, 100), c(1000, 130), c(2000, 5), c(3000, 25)], 0.5).value).toBe(30 + 5 + 20);
  });

  it('histograms give the quantile of what was observed inside the window, as histogram_quantile does', async () => {
    for (let i = 0; i < 50; i++) latency.observe(0.05); // before the window: not counted
    const first = { t: 0, reading: await read('http_request_duration_seconds') };
    for (let i = 0; i < 100; i++) latency.observe(i < 50 ? 0.15 : 0.3);
    const last = { t: 1000, reading: await read('http_request_duration_seconds') };
    const s = seriesFromReads([first, last], 0.5);
    expect(s.kind).toBe('histogram');
    // 50 of 100 in (0.1, 0.2]: the median is the top of that bucket.
    expect(s.value).toBeCloseTo(0.2, 9);
    expect(seriesFromReads([first, last], 0.75).value).toBeCloseTo(0.3, 9);
    expect(bucketQuantile(0.99, [[0.1, 0], [Infinity, 10]])).toBe(0.1);
    expect(bucketQuantile(0.5, [[0.1, 0], [Infinity, 0]])).toBeNull();
  });

  it('a histogram with labels: each label set kept, a filter picks its own, none sums them (the parser merged them into one)', async () => {
    // parse-prometheus-text-format flattens a histogram's samples into one, whatever their labels:
    // the last label set's buckets won, labels and counts were dropped. A route's server latency read
    // another route's buckets, and a label filter matched nothing.
    const reg = new Registry();
    const h = new Histogram({ name: 'req_seconds', help: 'h', labelNames: ['route', 'code'], buckets: [0.1, 0.5, 1], registers: [reg] });
    for (let i = 0; i < 30; i++) h.observe({ route: '/slow', code: '200' }, 0.7);
    for (let i = 0; i < 10; i++) h.observe({ route: '/fast', code: '200' }, 0.05);
    for (let i = 0; i < 5; i++) h.observe({ route: '/fast', code: '500' }, 0.3);
    const text = (await reg.metrics()) + '# TYPE after_total counter\nafter_total 7\n';
    const families = parseExposition(text);
    const got = (labels?: Record<string, string>) => readFamily(families, 'req_seconds', labels) as Extract<Reading, { kind: 'histogram' }>;
    expect(got({ route: '/slow' })).toEqual({ kind: 'histogram', count: 30, buckets: [[0.1, 0], [0.5, 0], [1, 30], [Infinity, 30]] });
    expect(got({ route: '/fast' })).toEqual({ kind: 'histogram', count: 15, buckets: [[0.1, 10], [0.5, 15], [1, 15], [Infinity, 15]] });
    expect(got({ route: '/fast', code: '5..' })).toMatchObject({ count: 5, buckets: [[0.1, 0], [0.5, 5], [1, 5], [Infinity, 5]] });
    expect(got()).toMatchObject({ count: 45, buckets: [[0.1, 10], [0.5, 15], [1, 45], [Infinity, 45]] });
    expect(readFamily(families, 'req_seconds', { route: '/none' })).toMatch(/no samples matching/);
    // The families around it are read as before; the histogram's parts are not families of their own.
    expect(readFamily(families, 'after_total', undefined)).toEqual({ kind: 'counter', value: 7 });
    expect(readFamily(families, 'req_seconds_bucket', undefined)).toMatch(/not exposed/);
  });

  it('gauges keep every read; the statistics are those of the points', async () => {
    const reads = [];
    for (const [t, v] of [[0, 3], [1000, 9], [2000, 6], [3000, 12]] as const) {
      queue.set(v);
      reads.push({ t, reading: await read('queue_length') });
    }
    const s = seriesFromReads(reads, 0.95);
    expect(s.value).toBe(12);
    expect(s.stats).toMatchObject({ min: 3, max: 12, mean: 7.5, last: 12, growth: 9 });
    expect(s.stats!.slope).toBeCloseTo(2.4, 9);
  });

  it('no value without evidence: a failed read at the window start or end, fewer than two reads, a missing metric', async () => {
    const ok = (t: number) => ({ t, reading: { kind: 'gauge', value: 1 } as Reading });
    const down = (t: number) => ({ t, reading: 'source unreachable: http://x/metrics: ECONNREFUSED' });
    expect(seriesFromReads([down(0), ok(1000), ok(2000)], 0.5)).toMatchObject({ value: null, error: expect.stringMatching(/source unreachable.*window's start/) });
    expect(seriesFromReads([ok(0), ok(1000), down(2000)], 0.5)).toMatchObject({ value: null, error: expect.stringMatching(/window's end/) });
    expect(seriesFromReads([ok(0), down(1000), ok(2000)], 0.5)).toMatchObject({ value: 1, missed: 1 });
    expect(seriesFromReads([ok(0)], 0.5).error).toMatch(/empty series/);
    expect(seriesFromReads([], 0.5).error).toMatch(/empty series/);
    expect(await read('no_such_metric')).toMatch(/not exposed/);
    expect(await read('http_requests_total', { status: '418' })).toMatch(/no samples matching/);
    expect(seriesStats([])).toBeNull();
  });

  it('a JSON endpoint gives the number at a JSON path, or says why not', () => {
    const body = { slo_compliance: 0.995, persistence: { error_rate: '0.001' }, label: 'x' };
    expect(readJsonNumber(body, 'slo_compliance')).toEqual({ kind: 'gauge', value: 0.995 });
    expect(readJsonNumber(body, '$.persistence.error_rate')).toEqual({ kind: 'gauge', value: 0.001 });
    expect(readJsonNumber(body, 'label')).toMatch(/not a number/);
    expect(readJsonNumber(body, 'missing.path')).toMatch(/nothing at JSON path/);
  });
});
