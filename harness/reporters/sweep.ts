import type { Knee } from '../sweep/capacity.ts';
import type { SweepResult, SweepSide } from '../sweep/result.ts';
import { esc, ms, num, pct } from './format.ts';
import { htmlPage } from './html-page.ts';
import { lineChart, type LineSeries } from './svg.ts';

const ROLES = ['baseline', 'candidate'] as const;
const per = (r: SweepResult) => `/${r.timeUnitMs === 1000 ? 's' : `${num(r.timeUnitMs / 1000)}s`}`;
const cutLine = (r: SweepResult, s: SweepResult['steps'][number]) => `step at rate ${num(s.rate)} cut short after ${num(s.measuredMs / 1000)} s of ${num((r.stepDurationMs - r.warmupMs) / 1000)} s measured: ${s.stoppedEarly}`;
const knee = (k: Knee, unit: string) => (k.rate === null ? 'below the range' : `${num(k.rate)}${unit}${k.below !== null ? ` (fails at ${num(k.below)})` : ' (no failing step above it)'}`);

/** sweep.md: knees, capacity gates, one row per step and target. Pure. */
export function renderSweepMarkdown(r: SweepResult): string {
  const u = per(r);
  const lines = [
    `## Capacity sweep · ${r.verdict === null ? 'no capacity gate' : r.verdict.toUpperCase()}`,
    '',
    `${r.name} · rates ${r.planned.map(num).join(', ')}${u} · ${num(r.stepDurationMs / 1000)} s per step, warm-up ${num(r.warmupMs / 1000)} s excluded${r.slo ? ` · SLO \`${r.slo}\`` : ''}`,
    '',
    `- knee, baseline: ${knee(r.knees.baseline, u)}`,
    `- knee, candidate: ${knee(r.knees.candidate, u)}`,
    `- candidate / baseline knee: ${r.knees.ratio === null ? '–' : `${num(r.knees.ratio)}x`}`,
  ];
  if (r.stoppedEarly) lines.push(`- stopped early: ${r.stoppedEarly}`);
  for (const h of r.heldBack ?? []) lines.push(`- **not a pass**: ${h}`);
  for (const s of r.steps.filter((x) => x.stoppedEarly)) lines.push(`- ${cutLine(r, s)}`);
  for (const g of r.gates) lines.push(`- **${g.status.toUpperCase()}** \`${g.description}\`: ${g.reason}`);
  lines.push('', `| rate | target | SLO gates | completed${u} | goodput | output tokens${u} | first content p50 / p95 | completion p95 | TPOT p50 | errors |`, '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.steps) {
    for (const role of ROLES) {
      const x: SweepSide = s[role];
      lines.push(
        `| ${num(s.rate)} | ${role} | ${x.status ?? '–'} | ${num(x.throughput)} | ${x.goodput === null ? '–' : pct(x.goodput)} | ${num(x.outputTokensPerSec)} | ${ms(x.firstContentP50)} / ${ms(x.firstContentP95)} | ${ms(x.completionP95)} | ${ms(x.tpotP50)} | ${pct(x.errorRate)} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** sweep.html: knees and gates, latency and goodput against the offered rate for both targets, the step table. Pure. */
export function renderSweepHtml(r: SweepResult): string {
  const u = per(r);
  const series = (pick: (x: SweepSide) => number | null): LineSeries[] =>
    ROLES.map((role) => ({ name: role, cls: `s-${role}`, points: r.steps.flatMap((s) => (pick(s[role]) === null ? [] : [[s.rate, pick(s[role])!] as const])) }));
  const x = { label: `offered rate (pairs${u})`, format: num };
  const charts = [
    lineChart({ id: 'sweep-latency', title: 'First content p95 vs rate', series: series((s) => s.firstContentP95), markers: true, x, y: { label: 'ms', min: 0, format: num } }),
    lineChart({ id: 'sweep-goodput', title: r.slo ? `Goodput vs rate (${r.slo})` : 'Completed streams vs rate', series: series((s) => s.goodputPerSec ?? s.throughput), markers: true, x, y: { label: `streams${u}`, min: 0, format: num } }),
    lineChart({ id: 'sweep-throughput', title: 'Output tokens vs rate', series: series((s) => s.outputTokensPerSec), markers: true, x, y: { label: `tokens${u}`, min: 0, format: num } }),
  ];
  const cls = r.verdict ?? 'none';
  const banner = `<section class="banner ${cls}"><div class="word">${esc(r.verdict === null ? 'NO CAPACITY GATE' : r.verdict.toUpperCase())}</div><div><div class="what">knee: baseline ${esc(knee(r.knees.baseline, u))} · candidate ${esc(knee(r.knees.candidate, u))} · ratio ${r.knees.ratio === null ? '–' : `${num(r.knees.ratio)}x`}</div><ul class="detail">${r.gates.map((g) => `<li>${esc(`${g.status.toUpperCase()} ${g.description}: ${g.reason}`)}</li>`).join('')}${r.stoppedEarly ? `<li>${esc(`stopped early: ${r.stoppedEarly}`)}</li>` : ''}${(r.heldBack ?? []).map((h) => `<li>${esc(`not a pass: ${h}`)}</li>`).join('')}${r.steps
    .filter((s) => s.stoppedEarly)
    .map((s) => `<li>${esc(cutLine(r, s))}</li>`)
    .join('')}</ul></div></section>`;
  const rows = r.steps.flatMap((s) =>
    ROLES.map((role) => {
      const v = s[role];
      return `<tr><td>${num(s.rate)}</td><td>${role}</td><td>${esc(v.status ?? '–')}${s.stoppedEarly ? ' (cut short)' : ''}</td><td>${num(v.throughput)}</td><td>${v.goodput === null ? '–' : pct(v.goodput)}</td><td>${num(v.outputTokensPerSec)}</td><td>${ms(v.firstContentP95)}</td><td>${ms(v.completionP95)}</td><td>${ms(v.tpotP50)}</td><td>${pct(v.errorRate)}</td><td><a href="${esc(s.run)}/report.html">${esc(s.run)}</a></td></tr>`;
    }),
  );
  const table = `<h2>Steps</h2><table><thead><tr><th>rate</th><th>target</th><th>SLO gates</th><th>completed${u}</th><th>goodput</th><th>tokens${u}</th><th>first content p95</th><th>completion p95</th><th>TPOT p50</th><th>errors</th><th>run</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const body = [`<h1>Capacity sweep · ${esc(r.name)}</h1><p class="meta">${esc(r.sweepId)} · ${num(r.stepDurationMs / 1000)} s per step, warm-up ${num(r.warmupMs / 1000)} s excluded${r.policy ? ` · policy ${esc(r.policy)}` : ''}</p>`, banner, `<div class="grid2">${charts.join('')}</div>`, table];
  return htmlPage(`parity sweep · ${r.verdict ?? 'no capacity gate'}`, body.join('\n'));
}
