import type { RunResult } from '../run/result.ts';
import { endpointRows, type EndpointRow } from './endpoints.ts';
import { esc, num } from './format.ts';
import { emptyChart, lineChart, type LineSeries } from './svg.ts';

/** report.html's endpoints section: the per-endpoint table and a CDF of whole-response latency per endpoint. */
export function endpointsHtml(run: RunResult): string {
  const rows = endpointRows(run);
  if (rows.length === 0) return '';
  const [b, c] = [rows[0]!.baseline.target, rows[0]!.candidate.target];
  const head = `<tr><th>Endpoint</th><th>Route</th><th class="n">Requests</th>${['p50', 'p95', 'p99'].map((q) => `<th class="n">${q} ms ${esc(b)} → ${esc(c)}</th>`).join('')}<th>Status ${esc(c)}</th><th class="n">Errors ${esc(b)}</th><th class="n">Errors ${esc(c)}</th></tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td><code>${esc(r.name)}</code></td><td><code>${esc(r.route)}</code></td><td class="n">${r.count[0]} / ${r.count[1]}</td>` +
        r.latency.map((l) => `<td class="n">${esc(l.baseline)} → ${esc(l.candidate)} (${esc(l.delta)})</td>`).join('') +
        `<td>${esc(r.status[1])}</td><td class="n">${esc(r.errors[0])}</td><td class="n">${esc(r.errors[1])}</td></tr>`,
    )
    .join('');
  return (
    `<section class="endpoints"><h2>Endpoints</h2><table class="metrics"><thead>${head}</thead><tbody>${body}</tbody></table>` +
    `<div class="grid2">${rows.map((r, i) => cdf(r, i)).join('')}</div></section>`
  );
}

function cdf(r: EndpointRow, i: number): string {
  const id = `cdf-endpoint-${i}-${r.name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  const title = `${r.name} · ${r.route} (CDF of whole-response time)`;
  const series: LineSeries[] = [];
  for (const s of [r.baseline, r.candidate]) {
    const q = s.cdf?.completionMs;
    if (q) series.push({ name: `${s.target} (${s.role})`, cls: `s-${s.role}`, points: q.map((v, k) => [v, k / 100] as const) });
  }
  if (series.length === 0) return emptyChart(id, title, 'No request to this endpoint was answered.');
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const log = xs.length > 0 && Math.max(...xs) / Math.min(...xs) > 30;
  const note = r.latency.map((l) => `${l.q} ${l.baseline} vs ${l.candidate} ms`).join(' · ') + `${log ? ' · log scale' : ''}`;
  return lineChart({ id, title, series, x: { label: 'milliseconds', log, format: (v: number) => num(v) }, y: { label: 'share of answered requests', min: 0, max: 1, format: (v) => `${Math.round(v * 100)}%` }, note });
}
