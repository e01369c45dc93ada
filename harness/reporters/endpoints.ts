import type { RunResult, TargetSummary } from '../run/result.ts';
import { num, pct } from './format.ts';

/**
 * The per-endpoint view of request and flow scenarios (run.json `endpoints`), shared by the
 * Markdown, terminal and HTML reports: one row per scenario, flow step and route template, with
 * p50/p95/p99 of the whole response per target and the candidate's change, status classes and
 * errors. Pure: run.json in, rows out.
 */
export interface EndpointRow {
  /** `scenario` or `scenario / step`. */
  name: string;
  scenario: string;
  step: string | null;
  route: string;
  baseline: TargetSummary;
  candidate: TargetSummary;
  count: [number, number];
  /** p50, p95, p99 of the whole response: [baseline, candidate, change]. */
  latency: { q: 'p50' | 'p95' | 'p99'; baseline: string; candidate: string; delta: string }[];
  status: [string, string];
  errors: [string, string];
}

const relative = (b: number | undefined, c: number | undefined) => {
  if (b === undefined || c === undefined || b === 0) return '–';
  const d = ((c - b) / b) * 100;
  return `${d > 0 ? '+' : ''}${d.toFixed(1)}%`;
};

function statusCell(s: TargetSummary): string {
  const k = s.statusClasses;
  if (!k) return '–';
  return (Object.entries(k) as [string, number][]).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`).join(' · ') || 'none';
}

function errorCell(s: TargetSummary): string {
  const failed = s.count - s.outcomes.ok - s.outcomes.complete;
  return failed === 0 ? '0' : `${failed} (${pct(s.errorRate)})`;
}

/** Endpoints grouped by scenario, then step, in the order the run met them. */
export function endpointRows(run: RunResult): EndpointRow[] {
  const rows = (run.endpoints ?? []).map((e): EndpointRow => {
    const [b, c] = [e.baseline, e.candidate];
    return {
      name: e.step === null ? e.scenario : `${e.scenario} / ${e.step}`,
      scenario: e.scenario,
      step: e.step,
      route: e.route,
      baseline: b,
      candidate: c,
      count: [b.count, c.count],
      latency: (['p50', 'p95', 'p99'] as const).map((q) => ({ q, baseline: num(b.completionMs?.[q]), candidate: num(c.completionMs?.[q]), delta: relative(b.completionMs?.[q], c.completionMs?.[q]) })),
      status: [statusCell(b), statusCell(c)],
      errors: [errorCell(b), errorCell(c)],
    };
  });
  const order = new Map<string, number>();
  rows.forEach((r) => order.set(r.scenario, order.get(r.scenario) ?? order.size));
  return rows.map((r, i) => ({ r, i })).sort((x, y) => order.get(x.r.scenario)! - order.get(y.r.scenario)! || x.i - y.i).map((x) => x.r);
}

/** The Markdown table (empty when the run has no request or flow scenarios). */
export function endpointsMarkdown(run: RunResult, table: (head: string[], rows: string[][]) => string[]): string[] {
  const rows = endpointRows(run);
  if (rows.length === 0) return [];
  const [b, c] = [run.targets.find((t) => t.role === 'baseline')?.name ?? 'baseline', run.targets.find((t) => t.role === 'candidate')?.name ?? 'candidate'];
  const head = ['Endpoint', 'Route', 'Requests', ...(['p50', 'p95', 'p99'] as const).map((q) => `${q} ms ${b} → ${c} (Δ)`), `Status ${b}`, `Status ${c}`, `Errors ${b}`, `Errors ${c}`];
  const body = rows.map((r) => [
    `\`${r.name}\``,
    `\`${r.route}\``,
    `${r.count[0]} / ${r.count[1]}`,
    ...r.latency.map((l) => `${l.baseline} → ${l.candidate} (${l.delta})`),
    r.status[0],
    r.status[1],
    r.errors[0],
    r.errors[1],
  ]);
  return ['## Endpoints', '', 'Whole-response latency of answered requests (failed ones are in Errors and in the gates\' `latency.*`).', '', ...table(head, body), ''];
}

/** Terminal lines: grouped by scenario, a line per step/route. */
export function endpointsTerminal(run: RunResult, bold: (s: string) => string): string[] {
  const rows = endpointRows(run);
  if (rows.length === 0) return [];
  const out: string[] = [bold('endpoints (whole response p50/p95/p99 ms, baseline → candidate)')];
  let last = '';
  const w = Math.max(...rows.map((r) => (r.step ?? '').length + r.route.length + 3));
  for (const r of rows) {
    if (r.scenario !== last) out.push(`  ${r.scenario}`);
    last = r.scenario;
    const what = `${r.step ? `${r.step}  ` : ''}${r.route}`.padEnd(w);
    const lat = `${r.latency.map((l) => l.baseline).join('/')} → ${r.latency.map((l) => l.candidate).join('/')}`;
    out.push(`    ${what}  n ${r.count[1]}  ${lat} (p50 ${r.latency[0]!.delta})  errors ${r.errors[0]} → ${r.errors[1]}  status ${r.status[1]}`);
  }
  return out;
}
