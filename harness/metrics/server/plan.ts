import type { LoadedConfig, ResolvedTarget } from '../../config/load.ts';
import { fillTemplate, type ServerSeriesConfig } from '../../config/server-metrics.ts';

/**
 * The config's `metrics` sections → one read per series and target: shared series on both
 * targets (baseline beside candidate), a target's own series on it alone; PromQL templates filled
 * with the target's name, role, instance (host:port of its baseUrl) and labels; endpoints joined
 * to the target's baseUrl. Pure.
 */
export interface SeriesPlan {
  name: string;
  target: string;
  role: 'baseline' | 'candidate';
  source: 'prometheus' | 'scrape' | 'json';
  /** PromQL as sent, the metric family, or the JSON path. */
  query: string;
  /** Prometheus base URL, /metrics URL or JSON endpoint URL. */
  endpoint: string;
  labels?: Record<string, string>;
  quantile: number;
  /** Where it was configured, for errors: `metrics.series[0].prometheus`. */
  at: string;
}

export interface ServerMetricsPlan {
  series: SeriesPlan[];
  stepMs: number;
  intervalMs: number;
  timeoutMs: number;
  settleMs: number;
}

/** null when the config reads no server-side series. */
export function planServerMetrics(loaded: LoadedConfig): ServerMetricsPlan | null {
  const shared = loaded.config.metrics;
  const series: SeriesPlan[] = [];
  for (const [ti, t] of [loaded.baseline, loaded.candidate].entries()) {
    const idx = loaded.config.targets.findIndex((c) => c.name === t.name);
    shared?.series.forEach((s, i) => series.push(planOne(s, t, `metrics.series[${i}]`, loaded)));
    t.metrics?.series.forEach((s, i) => series.push(planOne(s, t, `targets[${idx >= 0 ? idx : ti}].metrics.series[${i}]`, loaded)));
  }
  if (series.length === 0) return null;
  return { series, stepMs: shared?.step ?? 5_000, intervalMs: shared?.interval ?? 5_000, timeoutMs: shared?.timeout ?? 5_000, settleMs: shared?.settle ?? shared?.step ?? 5_000 };
}

function planOne(s: ServerSeriesConfig, t: ResolvedTarget, at: string, loaded: LoadedConfig): SeriesPlan {
  const shared = loaded.config.metrics;
  const own = t.metrics;
  const base = { name: s.name, target: t.name, role: t.role, quantile: s.quantile ?? 0.95 };
  if (s.prometheus !== undefined) {
    const values = { target: t.name, role: t.role, instance: new URL(t.baseUrl).host, ...own?.labels };
    return { ...base, source: 'prometheus', query: fillTemplate(s.prometheus, values), endpoint: (own?.prometheus ?? shared?.prometheus)!, at: `${at}.prometheus` };
  }
  if (s.scrape !== undefined) {
    const plan: SeriesPlan = { ...base, source: 'scrape', query: s.scrape, endpoint: endpointOf(t, own?.scrape ?? shared?.scrape ?? '/metrics'), at: `${at}.scrape` };
    if (s.labels) plan.labels = s.labels;
    return plan;
  }
  return { ...base, source: 'json', query: s.json!, endpoint: endpointOf(t, (own?.json ?? shared?.json)!), at: `${at}.json` };
}

/** Names of the series both targets read identically (same source, query, endpoint, labels, quantile): one series read twice. */
export function sameSeriesNames(plan: ServerMetricsPlan): Set<string> {
  const key = (s: SeriesPlan) => JSON.stringify([s.source, s.query, s.endpoint, s.labels ?? null, s.quantile]);
  const out = new Set<string>();
  for (const b of plan.series) {
    if (b.role !== 'baseline') continue;
    const c = plan.series.find((x) => x.role === 'candidate' && x.name === b.name);
    if (c && key(b) === key(c)) out.add(b.name);
  }
  return out;
}

function endpointOf(t: ResolvedTarget, e: string): string {
  return e.startsWith('/') ? `${t.baseUrl}${e}` : e;
}
