import type { LoadedConfig } from '../../config/load.ts';
import { fillTemplate } from '../../config/server-metrics.ts';
import { parseExposition, readFamily } from './exposition.ts';
import { readJsonNumber } from './json-endpoint.ts';
import { planServerMetrics, sameSeriesNames, type SeriesPlan, type ServerMetricsPlan } from './plan.ts';
import { QueryRejected, queryInstant, queryRange, SourceUnreachable } from './prometheus.ts';
import type { SeriesRestart, ServerMetricsResult, ServerSeriesResult } from './result.ts';
import { restartsInStartTimes, startTimeQuery } from './restarts.ts';
import { seriesFromReads, type Read } from './series.ts';
import { seriesStats } from './stats.ts';

/**
 * The server-side metrics of one window (a run's load; later a shadow or replay window):
 * `startServerMetrics` reads every /metrics and JSON endpoint at once (before), then every
 * `interval`; `stop()` reads them once more (after), waits `settle`, range-queries Prometheus over
 * the window and evaluates each query at its end, and returns every series with its statistics.
 * Nothing here throws for a source that fails: its series carries the reason instead, and a gate
 * on it is inconclusive.
 */
export interface ServerMetricsSession {
  stop(): Promise<ServerMetricsResult>;
}

/** null when the config reads no server-side series. */
export function startServerMetrics(loaded: LoadedConfig, window: { now?: () => number } = {}): ServerMetricsSession | null {
  const plan = planServerMetrics(loaded);
  if (!plan) return null;
  const now = window.now ?? Date.now;
  const start = now();
  const polled = plan.series.filter((s) => s.source !== 'prometheus');
  const reads = new Map<SeriesPlan, Read[]>(polled.map((s) => [s, []]));
  const byEndpoint = new Map<string, SeriesPlan[]>();
  for (const s of polled) byEndpoint.set(`${s.source} ${s.endpoint}`, [...(byEndpoint.get(`${s.source} ${s.endpoint}`) ?? []), s]);
  let inFlight: Promise<void> | null = null;
  const pollAll = (): Promise<void> => {
    inFlight ??= Promise.allSettled([...byEndpoint.values()].map((group) => poll(group, plan.timeoutMs, now, reads))).then(() => {
      inFlight = null;
    });
    return inFlight;
  };
  void pollAll();
  const timer = polled.length ? setInterval(() => void pollAll(), plan.intervalMs) : undefined;
  timer?.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await pollAll();
      const end = now();
      const prom = plan.series.filter((s) => s.source === 'prometheus');
      if (prom.length) await new Promise((r) => setTimeout(r, plan.settleMs));
      const series: ServerSeriesResult[] = [];
      const same = sameSeriesNames(plan);
      for (const s of plan.series) {
        const base = { name: s.name, target: s.target, role: s.role, source: s.source, query: s.source === 'prometheus' ? s.query : `${s.query} @ ${s.endpoint}`, ...(same.has(s.name) ? { sameSeries: true as const } : {}) };
        if (s.source === 'prometheus') series.push({ ...base, ...(await fromPrometheus(s, plan, start, end)) });
        else series.push({ ...base, ...seriesFromReads(reads.get(s)!, s.quantile) });
      }
      return { startedAt: new Date(start).toISOString(), endedAt: new Date(end).toISOString(), series };
    },
  };
}

async function poll(group: SeriesPlan[], timeoutMs: number, now: () => number, reads: Map<SeriesPlan, Read[]>): Promise<void> {
  // A read is stamped when the answer arrives: the server computed it just before.
  let t = now();
  const { endpoint, source } = group[0]!;
  let body: string | undefined;
  let failure: string | undefined;
  let refused = false;
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: source === 'json' ? 'application/json' : 'text/plain' } });
    t = now();
    body = await res.text();
    if (!res.ok) failure = `source unreachable: ${endpoint} answered HTTP ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    failure = `source unreachable: ${endpoint}: ${cause?.code ?? (err as Error).message}`;
    // Nothing listening on the port: the process was down (a restart, when reads answer around it).
    refused = cause?.code === 'ECONNREFUSED';
  }
  let parsed: unknown;
  if (!failure) {
    try {
      parsed = source === 'json' ? JSON.parse(body!) : parseExposition(body!);
    } catch (err) {
      failure = `${endpoint} did not answer ${source === 'json' ? 'JSON' : 'the Prometheus text format'}: ${(err as Error).message}`;
    }
  }
  // The process's start time, read beside every scraped series: a restart in the window changes it.
  const started = !failure && source === 'scrape' ? readFamily(parsed as ReturnType<typeof parseExposition>, 'process_start_time_seconds', undefined) : undefined;
  const start = started !== undefined && typeof started !== 'string' && started.kind !== 'histogram' ? started.value : undefined;
  for (const s of group) {
    const reading = failure ?? (source === 'json' ? readJsonNumber(parsed, s.query) : readFamily(parsed as ReturnType<typeof parseExposition>, s.query, s.labels));
    reads.get(s)!.push({ t, reading, ...(start !== undefined ? { start } : {}), ...(refused ? { refused } : {}) });
  }
}

/** PromQL duration covering [start, end]. */
function promDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

async function fromPrometheus(s: SeriesPlan, plan: ServerMetricsPlan, start: number, end: number): Promise<Omit<ServerSeriesResult, 'name' | 'target' | 'role' | 'source' | 'query'> & { query?: string }> {
  // The window runs until the last scrape of the load has landed: `settle` after the load's end.
  const until = end + plan.settleMs;
  const query = fillTemplate(s.query, { window: promDuration(until - start) });
  try {
    // Prometheus answers at most 11,000 points per series: a long soak gets a coarser step, not an error.
    const stepMs = Math.max(plan.stepMs, Math.ceil((until - start) / 10_000));
    const range = await queryRange(s.endpoint, query, { start, end: until, stepMs }, plan.timeoutMs);
    const value = await queryInstant(s.endpoint, query, until, plan.timeoutMs);
    if (range.points.length === 0 && value === null) return { query, value: null, points: [], stats: null, error: `empty series: Prometheus at ${s.endpoint} returned no data for the window` };
    const restarts = await promRestarts(s.endpoint, query, { start, end: until, stepMs }, plan.timeoutMs);
    return { query, value: value ?? range.points[range.points.length - 1]?.[1] ?? null, points: range.points, stats: seriesStats(range.points), ...(restarts.length ? { restarts } : {}) };
  } catch (err) {
    if (err instanceof SourceUnreachable) return { query, value: null, points: [], stats: null, error: `source unreachable: ${err.message}` };
    if (err instanceof QueryRejected) return { query, value: null, points: [], stats: null, error: `query rejected by Prometheus: ${err.message}` };
    throw err;
  }
}

/** Restarts of the series' process in the window, from its process_start_time_seconds; none when that cannot be read (no evidence either way). */
async function promRestarts(endpoint: string, query: string, window: { start: number; end: number; stepMs: number }, timeoutMs: number): Promise<SeriesRestart[]> {
  const started = startTimeQuery(query);
  if (!started) return [];
  try {
    return restartsInStartTimes((await queryRange(endpoint, started, window, timeoutMs)).points);
  } catch {
    return [];
  }
}
