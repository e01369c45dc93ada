import { closest } from '../text/closest.ts';
import { INTERRUPTIONS, isSuccess, type PairedSample, type StreamSample } from '../metrics/sample.ts';
import { tokensPerSec } from '../metrics/summary.ts';
import type { ContractStepSummary, RunResult } from '../run/result.ts';

/**
 * The metric registry: every name a gate may use, and how to read it. Stream metrics are read
 * from the paired samples with the same rules `metrics/summary.ts` uses for run.json, so a gate's
 * observed value equals the summary's; contract and load metrics are read from run.json sections.
 *
 *   value  a per-stream number (latency ms, chars/s) reduced by a statistic (p50 ... mean)
 *   rate   a per-stream event over a per-stream denominator (error, 5xx, interruption, citations)
 *   count  an exact count (no interval): outcome counts, contract drift, assertion failures, dropped
 */
export type Comparison = 'absolute' | 'ratio' | 'delta';

/**
 * What gate metrics read of a stream, and all the gates keep of it: a long run's pairs (millions
 * of them on a nightly run) fit in memory this way, without ids, names or gaps between events.
 */
export type GateSample = Pick<
  StreamSample,
  'outcome' | 'status' | 'headersMs' | 'firstEventMs' | 'firstContentMs' | 'completionMs' | 'dispatchLagMs' | 'contentChars' | 'expectsCitations' | 'citations' | 'itlMs' | 'tpotMs' | 'outputTokens' | 'tokensEstimated'
>;
export interface GatePair {
  scenario: string;
  /** Request and flow scenarios: the flow step and the route template, for per-endpoint gates. */
  step?: string | undefined;
  route?: string | undefined;
  baseline: GateSample;
  candidate: GateSample;
}

/** A pair as the gates keep it (every sample is also a GateSample; this drops the rest). */
export function gatePair(p: PairedSample): GatePair {
  const g: GatePair = { scenario: p.scenario, baseline: gateSample(p.baseline), candidate: gateSample(p.candidate) };
  if (p.step !== undefined) g.step = p.step;
  if (p.route !== undefined) g.route = p.route;
  return g;
}

/**
 * What `latency.*` and `ttfb.*` read for a request or stream that failed: a time beyond any
 * timeout (10⁹ ms), so a failure is never left out of a percentile over the survivors. A p95 over
 * requests of which more than 5% failed is "failed" and fails any limit; a ratio over two sides
 * that both failed that often is 1. A baseline "failed" against a candidate's answer is no
 * reference: the ratio or delta gate is inconclusive (gates/evaluate.ts noReference).
 */
export const FAILED_MS = 1e9;

function gateSample(s: StreamSample): GateSample {
  return {
    outcome: s.outcome,
    status: s.status,
    headersMs: s.headersMs,
    firstEventMs: s.firstEventMs,
    firstContentMs: s.firstContentMs,
    completionMs: s.completionMs,
    dispatchLagMs: s.dispatchLagMs,
    contentChars: s.contentChars,
    expectsCitations: s.expectsCitations,
    citations: s.citations,
    itlMs: s.itlMs,
    tpotMs: s.tpotMs,
    outputTokens: s.outputTokens,
    ...(s.tokensEstimated ? { tokensEstimated: true } : {}),
  };
}

/** Value metrics read from the token count: a count and an estimate (one per content event) have no common unit. */
export const TOKEN_BASED: readonly string[] = ['tpot', 'output_tokens_per_sec', 'output_tokens'];

export const STATS = ['p50', 'p90', 'p95', 'p99', 'mean'] as const;
export type Stat = (typeof STATS)[number];

export interface ValueMetric {
  kind: 'value';
  name: string;
  unit: 'ms' | 'chars/s' | 'tokens/s' | 'chars' | 'tokens';
  stat: Stat;
  /** The stream's value, or undefined when the stream has none (e.g. no completion). */
  read(s: GateSample): number | undefined;
  comparisons: readonly Comparison[];
  describe: string;
}

export interface RateMetric {
  kind: 'rate';
  name: string;
  unit: 'rate';
  /** Whether the stream counts in the denominator, and whether it is an event. */
  read(s: GateSample): { counted: boolean; event: boolean };
  comparisons: readonly Comparison[];
  describe: string;
}

/** Counts read per side; `samples` is what minSamples is checked against. null when the run has no such data. */
export interface CountReading {
  baseline: number | null;
  candidate: number;
  samples: number;
  /** Contract drift: of `samples`, the compared pairs whose baseline failed (run.contracts[].baselineFailed). */
  baselineFailed?: number;
  /** Contract counts over a sample of the load's pairs (`compare` below "all"): the smallest share diffed among the steps counted. */
  share?: number;
}

/** The smallest `share` of the steps counted, when any diffed only a sample of its pairs. */
function sampledShare(steps: readonly ContractStepSummary[]): { share: number } | Record<string, never> {
  let share: number | undefined;
  for (const s of steps) if (s.share !== undefined && s.share < 1) share = Math.min(share ?? 1, s.share);
  return share === undefined ? {} : { share };
}

export interface CountMetric {
  kind: 'count';
  name: string;
  /** per_s: a rate per time unit (the sweep's capacity). */
  unit: 'count' | 'per_s';
  /** sweep: judged by `parity sweep` on its knees; a single run has no such data. */
  source: 'streams' | 'contracts' | 'load' | 'sweep';
  /** Stream counts: a per-stream event. */
  event?(s: GateSample): boolean;
  /** Contract/load counts: read from run.json, scoped to the given scenarios (null = all) and, for per-endpoint gates, contract steps. */
  fromRun?(run: RunResult, scenarios: ReadonlySet<string> | null, steps?: (s: ContractStepSummary) => boolean): CountReading | null;
  comparisons: readonly Comparison[];
  describe: string;
}

/**
 * A server-side series (run.serverMetrics): `server.<series>` reads the series' value (see
 * metrics/server/result.ts), `server.<series>.<stat>` a statistic of its points. Values are in the
 * source's own units and judged as observed (no interval).
 */
export interface ServerMetric {
  kind: 'server';
  name: string;
  unit: 'value';
  series: string;
  stat: ServerStat;
  comparisons: readonly Comparison[];
  describe: string;
}

export const SERVER_STATS = ['value', 'max', 'min', 'mean', 'last', 'p95', 'growth', 'slope'] as const;
export type ServerStat = (typeof SERVER_STATS)[number];

export type Metric = ValueMetric | RateMetric | CountMetric | ServerMetric;

const is2xx = (s: GateSample) => s.status !== undefined && s.status >= 200 && s.status < 300;
/** Latencies count from the iteration's intended start, as in the run.json summaries (coordinated omission). */
const fromIntended = (s: GateSample, ms: number | undefined) => (ms === undefined ? undefined : ms + (s.dispatchLagMs ?? 0));

const VALUE_SOURCES: { base: string; unit: ValueMetric['unit']; read: (s: GateSample) => number | undefined; describe: string }[] = [
  { base: 'headers', unit: 'ms', read: (s) => fromIntended(s, s.headersMs), describe: 'time to response headers' },
  { base: 'first_event', unit: 'ms', read: (s) => fromIntended(s, s.firstEventMs), describe: 'time to the first SSE event' },
  { base: 'first_content', unit: 'ms', read: (s) => fromIntended(s, s.firstContentMs), describe: 'time to the first event with content text' },
  {
    base: 'completion',
    unit: 'ms',
    read: (s) => (isSuccess(s.outcome) ? fromIntended(s, s.completionMs) : undefined),
    describe: 'time to the terminal event of completed streams, and to the last byte of answered requests',
  },
  {
    base: 'content_chars_per_sec',
    unit: 'chars/s',
    read: (s) => {
      if (s.outcome !== 'complete' || s.completionMs === undefined) return undefined;
      const span = s.completionMs - (s.firstContentMs ?? s.completionMs);
      return span > 0 ? (s.contentChars / span) * 1000 : undefined;
    },
    describe: 'content characters per second from first content to completion',
  },
  {
    base: 'itl',
    unit: 'ms',
    read: (s) => (s.outcome === 'complete' ? s.itlMs : undefined),
    describe: 'inter-token latency (mean gap between content events, first excluded), completed streams',
  },
  {
    base: 'tpot',
    unit: 'ms',
    read: (s) => (s.outcome === 'complete' ? s.tpotMs : undefined),
    describe: 'time per output token, (completion − first content) / (tokens − 1), completed streams',
  },
  {
    base: 'output_tokens_per_sec',
    unit: 'tokens/s',
    read: (s) => (s.outcome === 'complete' ? tokensPerSec(s) : undefined),
    describe: 'output tokens per second from first content to completion, completed streams',
  },
  // The answer's length. A candidate that ends its answers early with a normal terminal event (a
  // max_tokens set lower, a streaming bug that stops after the first paragraph) is faster on every
  // latency and passes them: the length is what shows it.
  {
    base: 'content_chars',
    unit: 'chars',
    read: (s) => (s.outcome === 'complete' ? s.contentChars : undefined),
    describe: "content characters per completed stream (the answer's length, in Unicode code points)",
  },
  {
    base: 'output_tokens',
    unit: 'tokens',
    read: (s) => (s.outcome === 'complete' ? s.outputTokens : undefined),
    describe: "output tokens per completed stream (the answer's length: the count the stream sent, else one per content event)",
  },
  // Whole-response metrics for request and flow scenarios (and streams): failures read as FAILED_MS, never dropped.
  {
    base: 'latency',
    unit: 'ms',
    read: (s) => (isSuccess(s.outcome) && s.completionMs !== undefined ? fromIntended(s, s.completionMs) : FAILED_MS),
    describe: 'time to the whole response (last byte of a request, terminal event of a stream); a failed one counts as slower than any answer',
  },
  {
    base: 'ttfb',
    unit: 'ms',
    read: (s) => (isSuccess(s.outcome) && s.headersMs !== undefined ? fromIntended(s, s.headersMs) : FAILED_MS),
    describe: 'time to response headers; a failed request counts as slower than any answer',
  },
];

/** A stream's value of a value metric's base name (`first_content`, `tpot`, ...), as the gates read it; for SLOs. */
export function streamValue(base: string): ((s: GateSample) => number | undefined) | undefined {
  return VALUE_SOURCES.find((v) => v.base === base)?.read;
}
export const VALUE_BASES: readonly string[] = VALUE_SOURCES.map((v) => v.base);

const is5xx = (s: GateSample) => s.status !== undefined && s.status >= 500;
const isClass = (s: GateSample, c: number) => s.status !== undefined && Math.floor(s.status / 100) === c;

const RATE_SOURCES: Omit<RateMetric, 'kind' | 'unit' | 'comparisons'>[] = [
  { name: 'error_rate', read: (s) => ({ counted: true, event: !isSuccess(s.outcome) }), describe: 'streams that did not complete and requests that were not ok (HTTP error, connection, timeout, failed check or capture) / all' },
  { name: 'http_5xx_rate', read: (s) => ({ counted: true, event: is5xx(s) }), describe: 'HTTP 5xx responses / streams and requests' },
  { name: 'status_5xx_rate', read: (s) => ({ counted: true, event: is5xx(s) }), describe: 'HTTP 5xx responses / requests (same as http_5xx_rate)' },
  // A redirect is an answer (`ok`, as in k6), and a fast one: a candidate redirecting what the baseline answers (a trailing-slash 307, a login redirect) reads faster, with no error. This rate sees it.
  { name: 'status_3xx_rate', read: (s) => ({ counted: true, event: isClass(s, 3) }), describe: 'HTTP 3xx responses / requests (redirects, not followed: answered `ok`)' },
  { name: 'status_4xx_rate', read: (s) => ({ counted: true, event: isClass(s, 4) }), describe: 'HTTP 4xx responses / requests' },
  {
    name: 'interruption_rate',
    read: (s) => ({ counted: is2xx(s), event: is2xx(s) && INTERRUPTIONS.includes(s.outcome) }),
    describe: 'streams broken after 2xx headers / streams with 2xx headers',
  },
  ...INTERRUPTIONS.map((kind) => ({
    name: `interruption_rate.${kind}`,
    read: (s: GateSample) => ({ counted: is2xx(s), event: is2xx(s) && s.outcome === kind }),
    describe: `streams ended as "${kind}" after 2xx headers / streams with 2xx headers`,
  })),
  {
    // Bound to the policy's `slo` when a policy uses it (gates/slo.ts); unbound, no stream meets it.
    name: 'goodput',
    read: () => ({ counted: true, event: false }),
    describe: "streams that completed and met every per-request SLO of the policy's `slo` / streams",
  },
  {
    name: 'citation_presence',
    read: (s) => ({ counted: s.expectsCitations && s.outcome === 'complete', event: s.expectsCitations && s.outcome === 'complete' && s.citations > 0 }),
    describe: 'completed streams with a citation / completed streams whose prompt expects citations',
  },
];

const CLASS_WHAT = {
  breaking: 'missing field, type, status or media type change, removed header, renamed enum constant',
  additive: 'extra field or header',
  value: 'same shape, another value',
} as const;

function contractCounts(run: RunResult, scenarios: ReadonlySet<string> | null, pick: 'drift' | 'assertions', only?: (s: ContractStepSummary) => boolean): CountReading | null {
  if (!run.contracts) return null;
  const steps = run.contracts.filter((c) => (!scenarios || scenarios.has(c.scenario)) && (!only || only(c)));
  if (steps.length === 0) return null;
  let pairs = 0;
  let drifted = 0;
  let base = 0;
  let cand = 0;
  let baselineFailed = 0;
  for (const s of steps) {
    pairs += s.pairs;
    drifted += s.drifted;
    base += s.assertionFailures.baseline;
    cand += s.assertionFailures.candidate;
    baselineFailed += s.baselineFailed ?? 0;
  }
  if (unseenClean(steps, pick === 'drift' ? drifted : cand)) return null;
  return pick === 'drift' ? { baseline: null, candidate: drifted, samples: pairs, baselineFailed, ...sampledShare(steps) } : { baseline: base, candidate: cand, samples: pairs, ...sampledShare(steps) };
}

/**
 * Steps some flow runs never sent (a capture failed on a side, the baseline's or its noise
 * replica's too): the candidate's answers there were never compared. Nothing found is then no
 * data, never a clean count; what was found still counts (and fails).
 */
function unseenClean(steps: readonly ContractStepSummary[], found: number): boolean {
  return found === 0 && steps.some((s) => (s.skipped ?? 0) > 0);
}

/**
 * Pairs with drift of one class (run.contracts[].classes), of the gate's steps as contract_drift
 * reads them (a flow step, a route's endpoints). A run.json written before drift classes existed
 * has drifted steps without them: no data (never a pass), not zero.
 */
function contractClassCounts(run: RunResult, scenarios: ReadonlySet<string> | null, cls: 'breaking' | 'additive' | 'value', only?: (s: ContractStepSummary) => boolean): CountReading | null {
  if (!run.contracts) return null;
  const steps = run.contracts.filter((c) => (!scenarios || scenarios.has(c.scenario)) && (!only || only(c)));
  if (steps.length === 0 || steps.some((s) => s.drifted > 0 && !s.classes)) return null;
  let pairs = 0;
  let n = 0;
  let baselineFailed = 0;
  for (const s of steps) {
    pairs += s.pairs;
    n += s.classes?.[cls] ?? 0;
    baselineFailed += s.baselineFailed ?? 0;
  }
  if (unseenClean(steps, n)) return null;
  return { baseline: null, candidate: n, samples: pairs, baselineFailed, ...sampledShare(steps) };
}

/**
 * Dropped iterations, if the load section carries them: a number, or counts per role/target.
 * Reads the raw object, so a run.json written by a newer load model keeps its field.
 */
function droppedCounts(run: RunResult): CountReading | null {
  const dropped = (run.load as Record<string, unknown>).dropped;
  let total: number | null = null;
  if (typeof dropped === 'number') total = dropped;
  else if (dropped && typeof dropped === 'object') {
    const values = Object.values(dropped).filter((v): v is number => typeof v === 'number');
    if (values.length) total = values.reduce((a, b) => a + b, 0);
  }
  return total === null ? null : { baseline: null, candidate: total, samples: run.load.iterations };
}

function build(): Map<string, Metric> {
  const m = new Map<string, Metric>();
  for (const src of VALUE_SOURCES) {
    for (const stat of STATS) {
      const name = `${src.base}.${stat}`;
      m.set(name, { kind: 'value', name, unit: src.unit, stat, read: src.read, comparisons: ['absolute', 'ratio', 'delta'], describe: `${stat} of ${src.describe}` });
    }
  }
  for (const r of RATE_SOURCES) m.set(r.name, { kind: 'rate', unit: 'rate', comparisons: ['absolute', 'ratio', 'delta'], ...r });
  const streamCount = (name: string, event: (s: GateSample) => boolean, describe: string): CountMetric => ({
    kind: 'count',
    name,
    unit: 'count',
    source: 'streams',
    event,
    comparisons: ['absolute'],
    describe,
  });
  for (const c of [
    streamCount('error_count', (s) => !isSuccess(s.outcome), 'streams that did not complete and requests that were not ok, exact count'),
    streamCount('http_5xx_count', (s) => s.status !== undefined && s.status >= 500, 'HTTP 5xx responses, exact count'),
    streamCount('interruption_count', (s) => is2xx(s) && INTERRUPTIONS.includes(s.outcome), 'streams broken after 2xx headers, exact count'),
    {
      kind: 'count',
      name: 'contract_drift',
      unit: 'count',
      source: 'contracts',
      fromRun: (run, sc, only) => contractCounts(run, sc, 'drift', only),
      comparisons: ['absolute'],
      describe: 'contract pairs whose responses drifted (run.contracts: contract flows and pairs diffed under load), exact count; candidate only',
    },
    ...(['breaking', 'additive', 'value'] as const).map(
      (cls): CountMetric => ({
        kind: 'count',
        name: `contract_drift.${cls}`,
        unit: 'count',
        source: 'contracts',
        fromRun: (run, sc, only) => contractClassCounts(run, sc, cls, only),
        comparisons: ['absolute'],
        describe: `contract pairs with ${cls} drift (${CLASS_WHAT[cls]}; run.contracts), exact count; candidate only`,
      }),
    ),
    {
      kind: 'count',
      name: 'assertion_failures',
      unit: 'count',
      source: 'contracts',
      fromRun: (run, sc, only) => contractCounts(run, sc, 'assertions', only),
      comparisons: ['absolute'],
      describe: "contract assertion failures on the candidate (run.contracts), exact count",
    },
    {
      kind: 'count',
      name: 'dropped_iterations',
      unit: 'count',
      source: 'load',
      fromRun: (run) => droppedCounts(run),
      comparisons: ['absolute'],
      describe: 'iterations the load model could not start on time (run.load.dropped), exact count',
    },
    {
      kind: 'count',
      name: 'capacity',
      unit: 'per_s',
      source: 'sweep',
      fromRun: () => null,
      comparisons: ['absolute', 'ratio'],
      describe: 'the highest arrival rate whose SLO gates pass (the knee), from parity sweep: ">= 1.0x baseline" or ">= <rate>"',
    },
  ] satisfies CountMetric[]) {
    m.set(c.name, c);
  }
  return m;
}

export const METRICS: ReadonlyMap<string, Metric> = build();
export const METRIC_NAMES: readonly string[] = [...METRICS.keys()];

/** `server.<series>[.<stat>]` as a metric, or undefined when the name is not of that form. */
export function serverMetric(name: string): ServerMetric | undefined {
  const m = /^server\.([A-Za-z][A-Za-z0-9_]*)(?:\.([a-z0-9]+))?$/.exec(name);
  if (!m) return undefined;
  const stat = (m[2] ?? 'value') as ServerStat;
  if (!SERVER_STATS.includes(stat)) return undefined;
  const what = stat === 'value' ? 'value' : stat === 'growth' ? 'last − first point' : stat === 'slope' ? 'trend per second' : stat;
  return { kind: 'server', name, unit: 'value', series: m[1]!, stat, comparisons: ['absolute', 'ratio', 'delta'], describe: `${what} of the server-side series "${m[1]}" over the run's window` };
}

/** Any gate metric: a registered one or a server-side series. */
export function lookupMetric(name: string): Metric | undefined {
  return METRICS.get(name) ?? serverMetric(name);
}

/** The registered name closest to a misspelt one (edit distance), for "did you mean". */
export function closestMetric(name: string): string | undefined {
  return closest(name, METRIC_NAMES);
}
