import { median, medianAbsoluteDeviation } from 'simple-statistics';
import type { RunResult } from '../run/result.ts';
import { whyNotHistory } from './comparable.ts';
import { findGaps, type TrendGap } from './gaps.ts';
import { TREND_METRICS } from './metrics.ts';

export interface TrendOptions {
  /** How many previous complete runs the latest is compared with (their median). */
  window: number;
  /** Relative tolerance for times, e.g. 0.1 = the latest may be 10 % above the median. */
  tolerance: number;
  /** Absolute tolerance for rates, in percentage points. */
  rateTolerancePp: number;
}
export const TREND_DEFAULTS: TrendOptions = { window: 7, tolerance: 0.1, rateTolerancePp: 1 };

export interface TrendTarget {
  scenario: string;
  role: 'baseline' | 'candidate';
  target: string;
  count: number;
  metrics: Record<string, number | null>;
  /** Sample counts behind the rate metrics. */
  n: Record<string, number>;
}
export interface TrendRow {
  runId: string;
  date: string;
  name: string;
  policy: string | null;
  verdict: 'pass' | 'fail' | 'inconclusive' | 'none';
  complete: boolean;
  /** Why the run did not complete (interrupted, preflight failed, a crash), when so. */
  incompleteReason?: string;
  targets: TrendTarget[];
}
export interface TrendCheck {
  scenario: string;
  role: 'baseline' | 'candidate';
  target: string;
  metric: string;
  label: string;
  unit: 'ms' | 'rate';
  worse: 'higher' | 'lower';
  latest: number;
  median: number;
  /** Previous complete runs the median was taken over. */
  history: number;
  /** How far past the median the latest may go before it counts as a regression, in the metric's unit. */
  allowed: number;
  regressed: boolean;
  why: string;
}
export interface Trend {
  options: TrendOptions;
  rows: TrendRow[];
  /** The run compared: the latest complete one. */
  latest: string | null;
  checks: TrendCheck[];
  regressions: TrendCheck[];
  /** Why nothing could be compared, when so. */
  note: string | null;
  /**
   * The newest run of the history when it is not the one compared (it did not complete: interrupted,
   * preflight failed, crashed): last night was not judged, which is never "no regression".
   */
  newest: { runId: string; reason: string } | null;
  /** Earlier complete runs that are not the latest's history (another target or load, an unhealthy harness), with why. */
  setAside: { runId: string; reason: string }[];
  /** Stretches with no run, much longer than the history's usual spacing (missing nights). */
  gaps: TrendGap[];
  /** Set by `parity trend --max-age`: the newest run is older than that (no run since), so the latest night was not judged. */
  stale?: { runId: string; hours: number };
  /**
   * Targets of the latest run that measured under half the streams their history's median did (the
   * planned load was not delivered): their checks have too little evidence to say "no regression".
   */
  thin: { scenario: string; role: 'baseline' | 'candidate'; target: string; count: number; median: number }[];
}

/** One row per run: date, policy, verdict, the key metrics per scenario and target. */
export function trendRow(run: RunResult): TrendRow {
  return {
    runId: run.runId,
    date: run.startedAt,
    name: run.name,
    policy: run.verdict?.policy ?? null,
    verdict: run.verdict?.status ?? 'none',
    complete: run.complete,
    ...(run.complete ? {} : { incompleteReason: run.incompleteReason ?? 'unknown' }),
    targets: run.summaries.flatMap((sc) =>
      [sc.baseline, sc.candidate].map((s) => ({
        scenario: sc.scenario,
        role: s.role,
        target: s.target,
        count: s.count,
        metrics: Object.fromEntries(TREND_METRICS.map((m) => [m.key, m.value(s)])),
        n: Object.fromEntries(TREND_METRICS.filter((m) => m.n).map((m) => [m.key, m.n!(s)])),
      })),
    ),
  };
}

/**
 * Compares the latest complete run with the median of the `window` complete runs before it of the
 * same targets and load (others are set aside, with why), per
 * scenario, role and metric. A time regresses when it is above the median by more than the
 * tolerance and by more than 3 median absolute deviations of the history (the nights' own
 * spread); a rate when it is worse by more than the tolerance in pp and by more than 2 standard
 * errors of a proportion at that sample count (sampling noise). Pure.
 */
export function buildTrend(runs: readonly RunResult[], opts: TrendOptions = TREND_DEFAULTS): Trend {
  const rows = runs.map(trendRow).sort((a, b) => a.date.localeCompare(b.date) || a.runId.localeCompare(b.runId));
  const complete = rows.filter((r) => r.complete);
  const latest = complete.at(-1);
  // Only runs of the same targets under the same load, measured by a healthy harness, are the latest's history.
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const setAside: Trend['setAside'] = [];
  const comparable = complete.slice(0, -1).filter((r) => {
    const why = latest && whyNotHistory(byId.get(latest.runId)!, byId.get(r.runId)!);
    if (why) setAside.push({ runId: r.runId, reason: why });
    return !why;
  });
  const previous = comparable.slice(Math.max(0, comparable.length - opts.window));
  const last = rows.at(-1);
  const newest = last && !last.complete ? { runId: last.runId, reason: last.incompleteReason ?? 'unknown' } : null;
  const base = { options: opts, rows, latest: latest?.runId ?? null, newest, setAside, gaps: findGaps(rows) };
  if (!latest || previous.length < 2) {
    const aside = setAside.length ? ` (${setAside.length} earlier complete run${setAside.length === 1 ? '' : 's'} set aside: another target or load, or an unhealthy harness)` : '';
    return { ...base, thin: [], checks: [], regressions: [], note: `needs the latest run and at least 2 complete runs before it; found ${complete.length} complete run${complete.length === 1 ? '' : 's'}${aside}` };
  }
  const checks: TrendCheck[] = [];
  for (const t of latest.targets) {
    for (const m of TREND_METRICS) {
      const now = t.metrics[m.key];
      const past = previous.map((r) => r.targets.find((x) => x.scenario === t.scenario && x.role === t.role)?.metrics[m.key]).filter((v): v is number => typeof v === 'number');
      if (now === null || now === undefined || past.length < 2) continue;
      const med = median(past);
      const sign = m.worse === 'higher' ? 1 : -1;
      const worseBy = sign * (now - med);
      let allowed: number;
      let why: string;
      if (m.unit === 'ms') {
        const spread = 3 * medianAbsoluteDeviation(past);
        allowed = Math.max(med * opts.tolerance, spread);
        why = allowed === spread && spread > med * opts.tolerance ? '3 × the nights’ median absolute deviation' : `tolerance ${Math.round(opts.tolerance * 1000) / 10}%`;
      } else {
        const n = Math.max(1, t.n[m.key] ?? 1);
        const p = Math.min(Math.max(med, 1 / n), 1 - 1 / n);
        const noise = 2 * Math.sqrt((p * (1 - p)) / n);
        const tol = opts.rateTolerancePp / 100;
        allowed = Math.max(tol, noise);
        why = allowed === noise && noise > tol ? `sampling noise at n=${n}` : `tolerance ${opts.rateTolerancePp} pp`;
      }
      checks.push({ scenario: t.scenario, role: t.role, target: t.target, metric: m.key, label: m.label, unit: m.unit, worse: m.worse, latest: now, median: med, history: past.length, allowed, regressed: worseBy > allowed, why });
    }
  }
  const thin = latest.targets.flatMap((t) => {
    const past = previous.map((r) => r.targets.find((x) => x.scenario === t.scenario && x.role === t.role)?.count).filter((v): v is number => typeof v === 'number');
    const med = past.length >= 2 ? median(past) : 0;
    return t.count < 0.5 * med ? [{ scenario: t.scenario, role: t.role, target: t.target, count: t.count, median: med }] : [];
  });
  return { ...base, thin, checks, regressions: checks.filter((c) => c.regressed), note: null };
}
