import type { LoadedConfig } from '../config/load.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { planServerMetrics } from '../metrics/server/plan.ts';
import type { ServerSeriesResult } from '../metrics/server/result.ts';
import type { GateResult, RunResult } from '../run/result.ts';
import type { LoadedPolicy, ResolvedGate } from './load.ts';
import type { ServerMetric, ServerStat } from './metrics.ts';
import type { Op } from './threshold.ts';

/**
 * A gate on a server-side series (`server.<series>[.<stat>]`), read from run.json
 * `serverMetrics`: candidate alone (absolute), candidate/baseline (ratio) or candidate − baseline
 * (delta), judged as observed. Missing data is never a pass: no such series in the run, a source
 * that was unreachable, a query the server rejected, an empty series, or too few points for the
 * statistic (growth and slope need two) make the gate inconclusive (or fail, with
 * `insufficient: fail`), and the reason says which.
 */
type Judge = (op: Op, limit: number, value: number | null, interval: null, exact: true) => NonNullable<GateResult['floor']>['status'];
type Margin = (op: Op, limit: number, value: number | null) => number | null;

/** Share of a polled series' reads that may fail mid-window before its gates cannot pass. */
export const MAX_MISSED_SHARE = 0.1;

interface SideReading {
  value: number | null;
  points: number;
  why?: string;
}

function readSide(run: RunResult, m: ServerMetric, role: 'baseline' | 'candidate'): SideReading {
  const all = run.serverMetrics?.series ?? [];
  const s: ServerSeriesResult | undefined = all.find((x) => x.name === m.series && x.role === role);
  if (!run.serverMetrics) return { value: null, points: 0, why: `no server-side metrics in this run (run.serverMetrics): configure the metrics section with a series "${m.series}"` };
  if (!s) return { value: null, points: 0, why: `no server-side series "${m.series}" for the ${role} (its series: ${[...new Set(all.filter((x) => x.role === role).map((x) => x.name))].join(', ') || 'none'})` };
  if (s.error) return { value: null, points: s.points.length, why: `${role} ${s.target}: ${s.error}` };
  const points = s.points.length;
  // Reads that failed mid-window are gaps in the series, and a server struggling is the one whose
  // /metrics times out: a max or a mean over the reads that answered may leave out its worst moments.
  const reads = s.reads ?? points + (s.missed ?? 0);
  if (s.missed && s.missed > MAX_MISSED_SHARE * reads) return { value: null, points, why: `${role} ${s.target}: ${s.missed} of ${reads} reads in the window failed (more than ${MAX_MISSED_SHARE * 100}%): the failed reads may be its worst moments` };
  const restarted = restartOf(all, role);
  if (restarted && RESET_BY_RESTART.includes(m.stat)) return { value: null, points, why: `${role} ${s.target} restarted during the window (${restarted}): ${m.stat} across a restart compares two processes (a leaking one killed and restarted reads as its memory falling back); find why it restarted (an OOM kill?) and run again; max and p95 still read the peak before it` };
  const need = m.stat === 'growth' || m.stat === 'slope' ? 2 : 1;
  if (m.stat !== 'value' && points < need) return { value: null, points, why: `${role} ${s.target}: ${points} point${points === 1 ? '' : 's'} in the series, ${need} needed for ${m.stat}` };
  const value = m.stat === 'value' ? s.value : (s.stats?.[m.stat] ?? null);
  if (value === null || !Number.isFinite(value)) return { value: null, points, why: `${role} ${s.target}: empty series` };
  return { value, points: Math.max(points, 1) };
}

/** Statistics a restart in the window resets (the process starts again from scratch); max and p95 still see the peak before it. */
const RESET_BY_RESTART: readonly ServerStat[] = ['value', 'last', 'min', 'mean', 'growth', 'slope'];

/** The first restart any series of the target recorded in the window, described, or undefined. */
function restartOf(all: readonly ServerSeriesResult[], role: 'baseline' | 'candidate'): string | undefined {
  const seen = all.filter((x) => x.role === role).flatMap((x) => (x.restarts ?? []).map((r) => ({ ...r, series: x.name })));
  const r = seen.sort((a, b) => a.before - b.before)[0];
  if (!r) return undefined;
  const at = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  const what = {
    process_start_time: 'process_start_time_seconds changed',
    counter_reset: `a counter of "${r.series}" went backwards`,
    refused: 'its metrics endpoint refused connections',
    prometheus: 'Prometheus saw process_start_time_seconds change',
  }[r.signal];
  return `${what} between ${at(r.after)} and ${at(r.before)} UTC${seen.length > 1 ? `; ${seen.length} restart signals in all` : ''}`;
}

const fmt = (v: number | null) => (v === null ? '–' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4))));

export function evaluateServerGate(g: ResolvedGate & { metric: ServerMetric }, run: RunResult, judge: Judge, margin: Margin): GateResult {
  const m = g.metric;
  const t = g.threshold;
  const b = readSide(run, m, 'baseline');
  const c = readSide(run, m, 'candidate');
  const needBoth = t.comparison !== 'absolute';
  const base: Omit<GateResult, 'status' | 'value' | 'margin' | 'reason'> = {
    id: g.id,
    description: g.description,
    metric: m.name,
    scenario: g.scenario,
    route: g.route,
    comparison: t.comparison,
    severity: g.severity,
    observed: { baseline: b.value, candidate: c.value },
    limit: t.limit,
    interval: null,
    samples: { baseline: b.points, candidate: c.points, min: m.stat === 'growth' || m.stat === 'slope' ? 2 : 1 },
    unit: t.comparison === 'ratio' ? 'ratio' : 'value',
    ...(g.source ? { source: g.source } : {}),
  };
  const missing = [c.why, needBoth ? b.why : undefined].filter((w): w is string => w !== undefined);
  // One series read twice (a shared PromQL with nothing of the target in it): candidate/baseline is 1 whatever the candidate does.
  const one = needBoth ? (run.serverMetrics?.series ?? []).find((x) => x.name === m.series && x.sameSeries) : undefined;
  if (one && missing.length === 0) {
    missing.push(`both targets read the same series "${m.series}" (${one.source} ${one.query}, the same query from the same source), so ${t.comparison === 'ratio' ? 'candidate/baseline is 1' : 'candidate − baseline is 0'} whatever the candidate does; put {{target}}, {{instance}} or a label of the target's metrics.labels in the query, or gate it with an absolute limit`);
  }
  if (missing.length) {
    const status = g.insufficient === 'fail' ? 'fail' : 'inconclusive';
    return { ...base, status, value: null, margin: null, reason: `${g.id}: ${missing.join('; ')}; not enough to judge ${g.description}` };
  }
  const cv = c.value!;
  const bv = b.value;
  const notFraction = percentOfNonFraction(t.text, m, cv, bv);
  if (notFraction) {
    const status = g.insufficient === 'fail' ? 'fail' : 'inconclusive';
    return { ...base, status, value: null, margin: null, reason: `${g.id}: ${notFraction}; not judged: ${g.description}` };
  }
  const value = t.comparison === 'absolute' ? cv : t.comparison === 'ratio' ? (bv! > 0 ? cv / bv! : null) : cv - bv!;
  const what = t.comparison === 'absolute' ? 'candidate' : t.comparison === 'ratio' ? 'candidate/baseline' : 'candidate − baseline';
  let status = judge(t.op, t.limit, value, null, true);
  let reason =
    value === null
      ? `${g.id}: the baseline is ${fmt(bv)}, so candidate/baseline is undefined`
      : `${g.id}: ${what} ${fmt(value)} ${status === 'pass' ? 'is within' : 'is beyond'} ${t.op} ${fmt(t.limit)} (baseline ${fmt(bv)}, candidate ${fmt(cv)})`;
  let floor: GateResult['floor'];
  if (t.floor && bv !== null) {
    const d = cv - bv;
    const fs = judge(t.floor.op, t.floor.limit, d, null, true);
    floor = { value: d, limit: t.floor.limit, margin: margin(t.floor.op, t.floor.limit, d), interval: null, status: fs, unit: 'value' };
    status = status === 'pass' || fs === 'pass' ? 'pass' : status === 'fail' && fs === 'fail' ? 'fail' : 'inconclusive';
    reason += `; or candidate − baseline ${fmt(d)} ${fs === 'pass' ? 'is within' : 'is beyond'} ${t.floor.op} ${fmt(t.floor.limit)}`;
  }
  return { ...base, status, value, margin: margin(t.op, t.limit, value), reason, ...(floor ? { floor } : {}) };
}

/**
 * A limit written in % or pp reads the series as a fraction (1% = 0.01). A series the source
 * reports in percent (a hit ratio of 45, an SLO compliance of 99.2) then passes any lower bound
 * (`server.cache_hit_pct.min >= 90%` passed at 45) and fails any upper one. A side that reads
 * beyond ±1 under such a limit is not a fraction: said, and the gate is not judged.
 */
function percentOfNonFraction(text: string, m: ServerMetric, cv: number, bv: number | null): string | null {
  if (m.stat === 'slope' || !/%|pp/i.test(text)) return null;
  const side = Math.abs(cv) > 1 ? { role: 'candidate', v: cv } : bv !== null && Math.abs(bv) > 1 ? { role: 'baseline', v: bv } : null;
  if (!side) return null;
  const plain = text.trim().replace(/([+-]?\d+(?:\.\d+)?)\s*(%|pp)/gi, '$1');
  return `the ${side.role} reads ${fmt(side.v)}, not a fraction between 0 and 1, but "${text.trim()}" is written in % or pp (1% = 0.01): if the series is in percent, write the limit in its units ("${plain}")`;
}

/**
 * A gate on `server.<series>` the config never reads could only ever be inconclusive: a config
 * error before traffic, naming the series to add (a preset's header shows how to map it).
 */
export function checkGateSeries(policy: LoadedPolicy, loaded: LoadedConfig): void {
  const names = new Set((planServerMetrics(loaded)?.series ?? []).map((s) => s.name));
  const byFile = new Map<string, ConfigIssue[]>();
  for (const g of policy.gates) {
    if (g.metric.kind !== 'server') continue;
    if (g.scenario !== null || g.route !== null) {
      const where = g.scenario !== null ? 'scenario' : 'route';
      byFile.set(g.at.file, [...(byFile.get(g.at.file) ?? []), { path: `${g.at.path}.${where}`, message: `gate "${g.id}": a server-side series covers the whole window, not one ${where}; remove "${where}" (or scope the PromQL itself)` }]);
    }
    if (names.has(g.metric.series)) continue;
    const issue = {
      path: `${g.at.path}.metric`,
      message: `gate "${g.id}" reads ${g.metric.name}, but ${loaded.file} has no server-side series "${g.metric.series}"; add { name: ${g.metric.series}, prometheus | scrape | json: ... } to its metrics.series (its series: ${[...names].join(', ') || 'none'})`,
    };
    byFile.set(g.at.file, [...(byFile.get(g.at.file) ?? []), issue]);
  }
  const first = [...byFile.entries()][0];
  if (first) throw new ConfigError(first[0], first[1]);
}
