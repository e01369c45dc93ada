import { z } from 'zod';
import { durationField } from './duration.ts';
import { parseJsonPath } from '../json/path.ts';

/**
 * The `metrics` sections: server-side series read for the same window as the load, baseline
 * beside candidate (see harness/metrics/server/). The top-level `metrics` is shared: its series
 * are read on both targets. `targets[].metrics` gives a target's labels and endpoints, and series
 * of its own. Cross-field checks (a series' source configured, placeholders known, names unique)
 * run in `checkServerMetrics`, called from the config's superRefine, so every problem comes back
 * at once with its field path.
 */

const Ms = durationField('expected a duration like "500ms", "2s", "1m" or a number of milliseconds');

const JsonPathText = z.string().superRefine((value, ctx) => {
  try {
    parseJsonPath(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** No user:password@ in a source URL: it would be echoed into run.json and every report with the series. */
const noCredentials = (v: string) => !URL.canParse(v) || (new URL(v).username === '' && new URL(v).password === '');
const NO_CREDENTIALS = 'credentials in a metrics URL would be written to run.json and the reports; use a URL without user:password@ (authenticated sources are not supported yet)';
const PromUrl = z.string().url('expected the Prometheus URL, e.g. "http://127.0.0.1:9090"').refine(noCredentials, { message: NO_CREDENTIALS });

/** A path on the target ("/metrics", joined to its baseUrl) or a full http(s) URL. */
const Endpoint = z
  .string()
  .refine((v) => v.startsWith('/') || /^https?:\/\//.test(v), { message: 'expected a path on the target like "/metrics" or a URL like "http://10.0.0.5:9100/metrics"' })
  .refine(noCredentials, { message: NO_CREDENTIALS });

export const SERIES_STATS = ['max', 'min', 'mean', 'last', 'p95', 'growth', 'slope'] as const;

export const ServerSeries = z
  .strictObject({
    /** The gate metric is `server.<name>` (and `server.<name>.max`, `.mean`, `.last`, `.p95`, ...). */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a series name uses letters, digits and "_", starting with a letter'),
    /** PromQL, range-queried over the window; `{{target}}`, `{{role}}`, `{{instance}}` and the target's `metrics.labels` are substituted. */
    prometheus: z.string().min(1).optional(),
    /** A metric family on the target's /metrics (text exposition): counters → deltas and rates, gauges → values, histograms → a quantile. */
    scrape: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a metric name like "http_requests_total"').optional(),
    /** scrape: keep only samples whose labels fully match these regular expressions, e.g. { status: "5.." }. */
    labels: z.record(z.string(), z.string()).optional(),
    /** scrape histograms: the quantile read over the window (default 0.95). */
    quantile: z.number().gt(0).lt(1).optional(),
    /** A JSON path into the target's JSON metrics endpoint (`metrics.json`), polled. */
    json: JsonPathText.optional(),
  })
  .refine((s) => [s.prometheus, s.scrape, s.json].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one source: "prometheus" (PromQL), "scrape" (a metric name on /metrics) or "json" (a JSON path)',
  })
  .refine((s) => s.labels === undefined || s.scrape !== undefined, { message: '"labels" filters a "scrape" series; for PromQL put the labels in the query', path: ['labels'] })
  .refine((s) => s.quantile === undefined || s.scrape !== undefined, { message: '"quantile" applies to "scrape" histograms; in PromQL use histogram_quantile()', path: ['quantile'] });
export type ServerSeriesConfig = z.output<typeof ServerSeries>;

/** Endpoints and series shared by both targets (top-level `metrics`). */
export const SharedServerMetrics = z.strictObject({
  /** Prometheus server base URL, e.g. http://prometheus:9090 (a target may override it). */
  prometheus: PromUrl.optional(),
  /** Range-query resolution. */
  step: Ms.default(5_000).refine((v) => v >= 1, { message: 'step must be at least 1ms' }),
  /** How often /metrics is scraped and the JSON endpoint polled during the run. */
  interval: Ms.default(5_000).refine((v) => v >= 100, { message: 'interval must be at least 100ms' }),
  /** Per request to a source. */
  timeout: Ms.default(5_000),
  /** Wait after the window before querying Prometheus, so its last scrape of the window lands (default: one step; at least your scrape interval). */
  settle: Ms.optional(),
  /** The targets' Prometheus text endpoint (path on each target, or a URL). */
  scrape: Endpoint.default('/metrics'),
  /** The targets' JSON metrics endpoint (path or URL), for `json` series. */
  json: Endpoint.optional(),
  series: z.array(ServerSeries).default([]),
});
export type SharedServerMetricsConfig = z.output<typeof SharedServerMetrics>;

/** `targets[].metrics`: this target's labels, endpoints and own series. */
export const TargetServerMetrics = z.strictObject({
  /** Substituted as {{name}} in PromQL: e.g. { job: "chat-node", pod: "chat-node-.*" }. */
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name uses letters, digits and "_"'), z.string()).default({}),
  prometheus: PromUrl.optional(),
  scrape: Endpoint.optional(),
  json: Endpoint.optional(),
  series: z.array(ServerSeries).default([]),
});
export type TargetServerMetricsConfig = z.output<typeof TargetServerMetrics>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** `{{window}}` is the window's length as a PromQL duration ("75s"), for `increase(x[{{window}}])`. */
export const BUILTIN_PLACEHOLDERS = ['target', 'role', 'instance', 'window'] as const;

/** `{{name}}` placeholders in a PromQL template. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Substitutes `{{name}}` from `values`; unknown names are left as written (checked at config time). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (all, name: string) => values[name] ?? all);
}

type Issue = { path: (string | number)[]; message: string };
interface TargetLike {
  name: string;
  metrics?: TargetServerMetricsConfig | undefined;
}

/** Cross-field checks of the metrics sections; every problem, with its path. */
export function checkServerMetrics(shared: SharedServerMetricsConfig | undefined, targets: readonly TargetLike[]): Issue[] {
  const issues: Issue[] = [];
  const sharedNames = new Set<string>();
  shared?.series.forEach((s, i) => {
    if (sharedNames.has(s.name)) issues.push({ path: ['metrics', 'series', i, 'name'], message: `duplicate series name "${s.name}"` });
    sharedNames.add(s.name);
    targets.forEach((t, ti) => checkSeries(s, shared, t, ['metrics', 'series', i], issues, `on target "${t.name}" (targets[${ti}])`));
  });
  targets.forEach((t, ti) => {
    const own = new Set<string>();
    t.metrics?.series.forEach((s, i) => {
      const at = ['targets', ti, 'metrics', 'series', i];
      if (sharedNames.has(s.name)) issues.push({ path: [...at, 'name'], message: `series "${s.name}" is already in the shared metrics.series; rename one` });
      if (own.has(s.name)) issues.push({ path: [...at, 'name'], message: `duplicate series name "${s.name}"` });
      own.add(s.name);
      checkSeries(s, shared, t, at, issues, '');
    });
  });
  return issues;
}

function checkSeries(s: ServerSeriesConfig, shared: SharedServerMetricsConfig | undefined, t: TargetLike, at: (string | number)[], issues: Issue[], where: string): void {
  const on = where ? ` ${where}` : '';
  if (s.prometheus !== undefined) {
    if (!(t.metrics?.prometheus ?? shared?.prometheus)) issues.push({ path: [...at, 'prometheus'], message: `no Prometheus URL${on}: set metrics.prometheus (shared) or the target's metrics.prometheus` });
    const known = new Set<string>([...BUILTIN_PLACEHOLDERS, ...Object.keys(t.metrics?.labels ?? {})]);
    for (const p of placeholders(s.prometheus)) {
      if (!known.has(p)) issues.push({ path: [...at, 'prometheus'], message: `unknown placeholder {{${p}}}${on}; known: ${[...known].map((k) => `{{${k}}}`).join(', ')} (add it to the target's metrics.labels)` });
    }
  }
  if (s.json !== undefined && !(t.metrics?.json ?? shared?.json)) issues.push({ path: [...at, 'json'], message: `no JSON metrics endpoint${on}: set metrics.json (shared) or the target's metrics.json, e.g. "/api/metrics/observability"` });
  if (s.labels) {
    for (const [k, v] of Object.entries(s.labels)) {
      try {
        new RegExp(`^(?:${v})$`);
      } catch (err) {
        issues.push({ path: [...at, 'labels', k], message: `not a regular expression: ${(err as Error).message}` });
      }
    }
  }
}
