import type { ServerSeriesResult } from '../metrics/server/result.ts';
import type { RunResult } from '../run/result.ts';
import { esc, num } from './format.ts';
import { lineChart } from './svg.ts';

/**
 * The server-side series of a run (run.json `serverMetrics`), baseline beside candidate, for every
 * reporter: a table (value, max, mean, last, p95 per side, or why a side has none) and a small time
 * series per metric (a sparkline in text, an SVG chart in HTML). Pure: run.json in, text out.
 */
export interface ServerRow {
  name: string;
  source: string;
  baseline?: ServerSeriesResult;
  candidate?: ServerSeriesResult;
}

export function serverRows(run: RunResult): ServerRow[] {
  const rows = new Map<string, ServerRow>();
  for (const s of run.serverMetrics?.series ?? []) {
    const row = rows.get(s.name) ?? { name: s.name, source: s.source };
    row[s.role] = s;
    rows.set(s.name, row);
  }
  return [...rows.values()];
}

/** Large values (bytes, counts) with an SI suffix: 114800000 → "114.8M". */
const val = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  for (const [f, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e4, 'k']] as const) if (a >= f) return `${num(v / f)}${u}`;
  return num(v);
};

/** "12.3 (max 15 · mean 11 · p95 14.8)" or the reason there is no value. */
export function sideCell(s: ServerSeriesResult | undefined): string {
  if (!s) return '–';
  if (s.error) return `no data: ${s.error}`;
  const st = s.stats;
  const restarts = s.restarts?.length ? ` · restarted ${s.restarts.map((r) => `${new Date(r.after).toISOString().slice(11, 19)}–${new Date(r.before).toISOString().slice(11, 19)} UTC (${r.signal})`).join(', ')}` : '';
  return `${val(s.value)}${st ? ` (max ${val(st.max)} · mean ${val(st.mean)} · p95 ${val(st.p95)} · Δ ${val(st.growth)})` : ''}${s.missed ? ` · ${s.missed} reads missed` : ''}${restarts}`;
}

const BLOCKS = '▁▂▃▄▅▆▇█';
/** A text sparkline of the series' points (at most `width` characters). */
export function sparkline(s: ServerSeriesResult | undefined, width = 24): string {
  const pts = s?.points ?? [];
  if (pts.length === 0) return '';
  const step = Math.max(1, Math.ceil(pts.length / width));
  const vs = pts.filter((_, i) => i % step === 0).map((p) => p[1]);
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  return vs.map((v) => BLOCKS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1)) : 0]).join('');
}

const sourceOf = (r: ServerRow) => `${r.source}: ${(r.candidate ?? r.baseline)?.query ?? ''}`;

export function serverMarkdown(run: RunResult, cell: (s: string) => string): string[] {
  const rows = serverRows(run);
  if (rows.length === 0) return [];
  const b = run.targets.find((t) => t.role === 'baseline')?.name ?? 'baseline';
  const c = run.targets.find((t) => t.role === 'candidate')?.name ?? 'candidate';
  const head = ['Series', `${b} (baseline)`, `${c} (candidate)`, 'Baseline over time', 'Candidate over time'];
  const body = rows.map((r) => [`\`server.${r.name}\``, sideCell(r.baseline), sideCell(r.candidate), sparkline(r.baseline), sparkline(r.candidate)]);
  const window = `${run.serverMetrics!.startedAt} → ${run.serverMetrics!.endedAt}`;
  return [
    '## Server-side metrics',
    '',
    `Window ${window}.`,
    '',
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...body.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    '<details><summary>Queries</summary>',
    '',
    ...rows.map((r) => `- \`server.${r.name}\` ${cell(sourceOf(r))}`),
    '',
    '</details>',
    '',
  ];
}

export function serverTerminal(run: RunResult): string[] {
  const rows = serverRows(run);
  if (rows.length === 0) return [];
  const w = Math.max(...rows.map((r) => r.name.length)) + 7;
  return ['server-side metrics (baseline | candidate)', ...rows.map((r) => `  ${`server.${r.name}`.padEnd(w)}  ${sideCell(r.baseline)} ${sparkline(r.baseline, 12)} | ${sideCell(r.candidate)} ${sparkline(r.candidate, 12)}`)];
}

export function serverHtml(run: RunResult): string {
  const rows = serverRows(run);
  if (rows.length === 0) return '';
  const t0 = Date.parse(run.serverMetrics!.startedAt);
  const table =
    `<table class="server"><thead><tr><th>Series</th><th>Source</th><th>Baseline</th><th>Candidate</th></tr></thead><tbody>` +
    rows.map((r) => `<tr data-series="${esc(r.name)}"><td><code>server.${esc(r.name)}</code></td><td><code>${esc(sourceOf(r))}</code></td><td>${esc(sideCell(r.baseline))}</td><td>${esc(sideCell(r.candidate))}</td></tr>`).join('') +
    '</tbody></table>';
  const charts = rows
    .filter((r) => (r.baseline?.points.length ?? 0) + (r.candidate?.points.length ?? 0) > 0)
    .map((r) =>
      lineChart({
        id: `server-${r.name}`,
        title: `server.${r.name}`,
        series: (['baseline', 'candidate'] as const)
          .filter((role) => r[role]?.points.length)
          .map((role) => ({ name: `${r[role]!.target} (${role})`, cls: `s-${role}`, points: r[role]!.points.map(([t, v]) => [(t - t0) / 1000, v] as const) })),
        x: { label: 'seconds since the window opened', format: (v) => num(v), min: 0 },
        y: { label: r.source === 'scrape' && (r.candidate ?? r.baseline)?.kind === 'counter' ? 'per second' : 'value', format: (v) => val(v) },
        markers: true,
      }),
    );
  return `<h2>Server-side metrics <span class="note">same window as the load</span></h2>${table}${charts.length ? `<div class="grid2">${charts.join('')}</div>` : ''}`;
}

/** junit: a testcase per series; a side with no data is an <error> (its gates cannot pass). */
export function serverJunitCases(run: RunResult): { name: string; classname: string; error?: { message: string; body: string }; out?: string }[] {
  return serverRows(run).map((r) => {
    const missing = (['baseline', 'candidate'] as const).filter((role) => r[role]?.error).map((role) => `${role} ${r[role]!.target}: ${r[role]!.error}`);
    const c: { name: string; classname: string; error?: { message: string; body: string }; out?: string } = { name: `server.${r.name}`, classname: `parity.server.${r.source}` };
    if (missing.length) c.error = { message: missing.join('; '), body: sourceOf(r) };
    else c.out = `baseline ${sideCell(r.baseline)}\ncandidate ${sideCell(r.candidate)}\n${sourceOf(r)}`;
    return c;
  });
}
