import type { RunResult, TargetSummary } from '../run/result.ts';
import { esc, num, pct } from './format.ts';
import { requestMetrics, requestOutcomes, statusClasses, stepRows, type ScenarioKind } from './request-metrics.ts';
import { emptyChart, lineChart, outcomeBars, type LineSeries } from './svg.ts';

/**
 * report.html's section for a request or flow scenario: key numbers with deltas, a CDF of the
 * whole-response time, outcomes by kind, status classes, and a row per step and route. Pure.
 */
export function requestScenarioHtml(run: RunResult, name: string, kind: Exclude<ScenarioKind, 'stream'>, b: TargetSummary, c: TargetSummary): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  const th = (s: TargetSummary) => `<th class="n">${esc(s.target)} (${s.role})</th>`;
  const metrics = requestMetrics(b, c, kind).map((r) => `<tr><td>${esc(r.label)}</td><td class="n">${esc(r.baseline)}</td><td class="n">${esc(r.candidate)}</td><td class="n">${esc(r.delta)}</td></tr>`);
  const classes = [statusClasses(b), statusClasses(c)];
  const statusTable = classes[0]!.length
    ? `<h3>Status classes</h3><table class="status"><thead><tr><th>Target</th>${classes[0]!.map((k) => `<th class="n">${esc(k.cls)}</th>`).join('')}</tr></thead><tbody>` +
      [b, c].map((s, i) => `<tr><td>${esc(s.target)} (${s.role})</td>${classes[i]!.map((k) => `<td class="n">${k.n}</td>`).join('')}</tr>`).join('') +
      '</tbody></table>'
    : '';
  const outcomes = requestOutcomes(b, c);
  const outcomeTable =
    `<h3>Outcomes</h3><table class="outcomes"><thead><tr><th>Outcome</th>${th(b)}${th(c)}</tr></thead><tbody>` +
    outcomes.map((o) => `<tr><td>${o.outcome}</td><td class="n">${o.baseline}</td><td class="n">${o.candidate}</td></tr>`).join('') +
    '</tbody></table>';
  const steps = stepRows(run, name);
  const stepTable = steps.length
    ? `<h3>${kind === 'flow' ? 'By step and route' : 'By route'}</h3><table class="steps"><thead><tr><th>Step</th><th>Route</th><th class="n">Requests</th><th class="n">Time to headers p50 (Δ)</th>` +
      ['p50', 'p95', 'p99'].map((q) => `<th class="n">Whole response ${q} (Δ)</th>`).join('') +
      `<th>Outcomes ${esc(b.target)}</th><th>Outcomes ${esc(c.target)}</th></tr></thead><tbody>` +
      steps
        .map(
          (r) =>
            `<tr><td>${r.step === '–' ? '–' : `<code>${esc(r.step)}</code>`}</td><td><code>${esc(r.route)}</code></td><td class="n">${r.count[0]} / ${r.count[1]}</td>` +
            `<td class="n">${esc(`${r.headers.baseline} → ${r.headers.candidate} (${r.headers.delta})`)}</td>` +
            r.latency.map((l) => `<td class="n">${esc(`${l.baseline} → ${l.candidate} (${l.delta})`)}</td>`).join('') +
            `<td>${esc(r.outcomes[0])}</td><td>${esc(r.outcomes[1])}</td></tr>`,
        )
        .join('') +
      '</tbody></table>'
    : '';
  return (
    `<section class="scenario request" data-scenario="${esc(name)}" data-kind="${kind}"><h2>Scenario <code>${esc(name)}</code> <span class="note">${kind}</span></h2>` +
    `<table class="metrics"><thead><tr><th>Metric</th>${th(b)}${th(c)}<th class="n">Δ</th></tr></thead><tbody>${metrics.join('')}</tbody></table>` +
    `<div class="grid2">${responseCdf(`cdf-response-${slug}`, b, c)}${outcomesChart(`outcomes-${slug}`, b, c, outcomes)}</div>` +
    `${statusTable}${outcomeTable}${stepTable}</section>`
  );
}

function responseCdf(id: string, b: TargetSummary, c: TargetSummary): string {
  const title = 'Whole-response time (CDF)';
  const series: LineSeries[] = [];
  for (const s of [b, c]) {
    const q = s.cdf?.completionMs;
    if (q) series.push({ name: `${s.target} (${s.role})`, cls: `s-${s.role}`, points: q.map((v, i) => [v, i / 100] as const) });
  }
  if (series.length === 0) return emptyChart(id, title, b.cdf || c.cdf ? 'No request was answered.' : 'This run.json has no distribution data (written by an older parity).');
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const log = xs.length > 0 && Math.max(...xs) / Math.min(...xs) > 30;
  const note = (['p50', 'p95', 'p99'] as const).map((q) => `${q} ${num(b.completionMs?.[q])} vs ${num(c.completionMs?.[q])} ms`).join(' · ') + ` (baseline vs candidate)${log ? ' · log scale' : ''}`;
  return lineChart({ id, title, series, x: { label: 'milliseconds', log, format: (v: number) => num(v) }, y: { label: 'share of answered requests', min: 0, max: 1, format: (v) => `${Math.round(v * 100)}%` }, note });
}

function outcomesChart(id: string, b: TargetSummary, c: TargetSummary, outcomes: ReturnType<typeof requestOutcomes>): string {
  return outcomeBars({
    id,
    title: 'Failed requests by outcome',
    empty: 'Every request was answered and every check held.',
    rows: outcomes.filter((o) => o.outcome !== 'ok' && o.baseline + o.candidate > 0),
    targets: { baseline: b.target, candidate: c.target },
    unit: 'requests',
    format: (v) => num(v),
    note: `error rate ${pct(b.errorRate)} vs ${pct(c.errorRate)} · 5xx rate ${pct(b.http5xxRate)} vs ${pct(c.http5xxRate)}`,
  });
}
