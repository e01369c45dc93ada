import type { Percentiles, RunResult, TargetSummary } from '../run/result.ts';
import { outcomeCell, requestMetrics, requestOutcomes, statusClasses, stepRows, type ScenarioKind } from './request-metrics.ts';
import { pct1 as pct } from './format.ts';

type RequestKind = Exclude<ScenarioKind, 'stream'>;
type Table = (head: string[], rows: string[][]) => string[];

/**
 * summary.md's block for a request or flow scenario: key numbers with deltas (time to headers,
 * whole response, error and 5xx rates), status classes, outcomes, and a row per step and route.
 * Text in (already Markdown-safe), lines out.
 */
export function requestScenarioMarkdown(run: RunResult, name: string, kind: RequestKind, b: TargetSummary, c: TargetSummary, table: Table): string[] {
  const out = [`## Scenario \`${name}\` (${kind})`, ''];
  out.push(...table(['Metric', `${b.target} (baseline)`, `${c.target} (candidate)`, 'Δ'], requestMetrics(b, c, kind).map((r) => [r.label, r.baseline, r.candidate, r.delta])), '');
  const classes = [statusClasses(b), statusClasses(c)];
  out.push('### Status classes', '');
  if (classes[0]!.length === 0) out.push('_Not in this run.json (written before status classes were counted)._', '');
  else out.push(...table(['Target', ...classes[0]!.map((k) => k.cls)], [b, c].map((s, i) => [`${s.target} (${s.role})`, ...classes[i]!.map((k) => String(k.n))])), '');
  out.push('### Outcomes', '', ...table(['Outcome', b.target, c.target], requestOutcomes(b, c).map((o) => [o.outcome, String(o.baseline), String(o.candidate)])), '');
  const steps = stepRows(run, name);
  if (steps.length) {
    out.push(kind === 'flow' ? '### By step and route' : '### By route', '');
    const head = ['Step', 'Route', 'Requests', `Time to headers p50 ${b.target} → ${c.target} (Δ)`, ...(['p50', 'p95', 'p99'] as const).map((q) => `Whole response ${q} (Δ)`), `Outcomes ${b.target}`, `Outcomes ${c.target}`];
    const rows = steps.map((r) => [
      r.step === '–' ? '–' : `\`${r.step}\``,
      `\`${r.route}\``,
      `${r.count[0]} / ${r.count[1]}`,
      `${r.headers.baseline} → ${r.headers.candidate} (${r.headers.delta})`,
      ...r.latency.map((l) => `${l.baseline} → ${l.candidate} (${l.delta})`),
      r.outcomes[0],
      r.outcomes[1],
    ]);
    out.push(...table(head, rows), '');
  }
  return out;
}

/** The terminal's rows for a request or flow scenario: [label, baseline, candidate]. */
export function requestScenarioTerminal(b: TargetSummary, c: TargetSummary, kind: RequestKind): [string, string, string][] {
  const rows: [string, string, string][] = [[kind === 'flow' ? 'requests (all steps)' : 'requests', String(b.count), String(c.count)]];
  const triple = (p: Percentiles | null | undefined) => (p ? (['p50', 'p95', 'p99'] as const).map((q) => String(Math.round(p[q]))).join(' / ') : '–');
  rows.push(['time to headers p50/p95/p99 ms', triple(b.headersMs), triple(c.headersMs)]);
  rows.push(['whole response p50/p95/p99 ms', triple(b.completionMs), triple(c.completionMs)]);
  rows.push(['error rate', pct(b.errorRate), pct(c.errorRate)]);
  rows.push(['5xx rate', pct(b.http5xxRate), pct(c.http5xxRate)]);
  const classes = (s: TargetSummary) => statusClasses(s).filter((k) => k.n > 0).map((k) => `${k.cls} ${k.n}`).join(', ') || '–';
  rows.push(['status classes', classes(b), classes(c)]);
  if (b.dispatchLagMs && b.dispatchLagMs.p99 > 0) {
    const lag = (s: TargetSummary) => (s.dispatchLagMs ? `${Math.round(s.dispatchLagMs.p50)} / ${Math.round(s.dispatchLagMs.p99)}` : '–');
    rows.push(['service whole response p50/p95/p99 ms', triple(b.serviceTime?.completionMs), triple(c.serviceTime?.completionMs)]);
    rows.push(['dispatch lag p50/p99 ms', lag(b), lag(c)]);
  }
  if (b.dropped || c.dropped) rows.push(['dropped (maxInFlight)', String(b.dropped ?? 0), String(c.dropped ?? 0)]);
  rows.push(['outcomes', outcomeCell(b).replace(/ · /g, ', '), outcomeCell(c).replace(/ · /g, ', ')]);
  return rows;
}
