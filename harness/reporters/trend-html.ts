import type { Trend, TrendCheck, TrendOptions, TrendRow } from '../trend/trend.ts';
import { runLabels, type Grouped, type TrendGroup } from '../trend/groups.ts';
import { TREND_METRICS } from '../trend/metrics.ts';
import { esc, ms, num, pct } from './format.ts';
import { htmlPage } from './html-page.ts';
import { lineChart } from './svg.ts';

/** Metrics plotted over time, per scenario (the checks table covers all of them). */
const PLOTTED = ['firstContentP95', 'completionP95', 'errorRate', 'interruptionRate', 'citationPresence'];

const fmt = (unit: 'ms' | 'rate', v: number | null | undefined) => (unit === 'ms' ? ms(v) : pct(v));

/** The heading of one history: config name and policy. */
export const groupTitle = (g: Pick<TrendGroup, 'name' | 'policy'>) => `${g.name} · ${g.policy ? `policy ${g.policy}` : 'no policy'}`;

/**
 * trend.html: per history (config name and policy), its regression banner, the latest run's
 * checks, plots over time and one row per run; then what was left out and why. Pure.
 */
export function renderTrendHtml(grouped: Grouped, o: TrendOptions, skipped: { file: string; reason: string }[] = []): string {
  const runs = grouped.groups.reduce((a, g) => a + g.rows.length, 0);
  const regressed = grouped.groups.some((g) => g.regressions.length > 0);
  const body = [
    `<h1>Nightly parity trend</h1><p class="meta">${runs} runs in ${grouped.groups.length} histor${grouped.groups.length === 1 ? 'y' : 'ies'} (one per config name and policy) · latest compared with the median of up to ${o.window} previous complete runs · tolerance ${num(o.tolerance * 100)}% for times, ${num(o.rateTolerancePp)} pp for rates</p>`,
    ...skipped.map((s) => `<div class="callout"><b>Skipped</b> <code>${esc(s.file)}</code>: ${esc(s.reason)}</div>`),
    grouped.groups.length === 0 ? '<div class="callout"><b>No runs to trend</b>: no run with stream metrics matched.</div>' : '',
    ...grouped.groups.map((g, gi) => `<section class="trend-group" data-group="${esc(groupTitle(g))}"><h2>${esc(groupTitle(g))}</h2>${banner(g)}${checks(g)}${plots(g, gi)}${rows(g.rows)}</section>`),
    grouped.excluded.length ? `<h2>Left out</h2><ul class="excluded">${grouped.excluded.map((e) => `<li><code>${esc(e.runId)}</code>: ${esc(e.reason)}</li>`).join('')}</ul>` : '',
  ];
  const unjudged = grouped.groups.some((g) => g.newest || g.stale || g.thin.length);
  return htmlPage(`parity trend · ${regressed ? 'REGRESSION' : unjudged ? 'NOT JUDGED' : 'ok'}`, body.filter(Boolean).join('\n'));
}

const change = (c: TrendCheck) => (c.unit === 'ms' ? `${c.latest >= c.median ? '+' : ''}${num(((c.latest - c.median) / c.median) * 100)}%` : `${c.latest >= c.median ? '+' : ''}${num((c.latest - c.median) * 100)} pp`);
/** How much worse than the median the latest may be: "+9.6 ms", "−2 pp". */
const allowed = (c: TrendCheck) => `${c.worse === 'higher' ? '+' : '−'}${c.unit === 'ms' ? ms(c.allowed) : `${num(c.allowed * 100)} pp`}`;

function banner(t: Trend): string {
  const newest = t.newest ? `<div class="callout"><b>Newest run not judged</b>: <code>${esc(t.newest.runId)}</code> is incomplete (${esc(t.newest.reason)}); what follows compares the latest complete run.</div>` : '';
  const aside = t.setAside.length
    ? `<div class="callout"><b>Set aside</b> (not this run’s history: another target or load, or an unhealthy harness)<ul class="set-aside">${t.setAside.map((a) => `<li><code>${esc(a.runId)}</code>: ${esc(a.reason)}</li>`).join('')}</ul></div>`
    : '';
  const stale = t.stale ? `<div class="callout bad" data-stale="${t.stale.hours}"><b>No run for ${num(t.stale.hours)} h</b>: the newest run <code>${esc(t.stale.runId)}</code> is older than --max-age; the latest night was not judged.</div>` : '';
  const gaps = t.gaps.map((g) => `<div class="callout" data-gap="${esc(g.after)}"><b>No run for ${num(g.hours)} h</b> between <code>${esc(g.after)}</code> and <code>${esc(g.before)}</code> (runs are usually ${num(g.usualHours)} h apart).</div>`).join('');
  const thin = t.thin.map((x) => `<div class="callout bad" data-thin="${esc(`${x.scenario}/${x.role}`)}"><b>Too little evidence</b>: the latest run measured ${x.count} <code>${esc(x.scenario)}</code> streams of ${esc(x.target)} (${x.role}), under half the history’s median ${num(x.median)}.</div>`).join('');
  return stale + newest + gaps + thin + verdictBanner(t) + aside;
}

function verdictBanner(t: Trend): string {
  if (t.note) return `<section class="banner none" data-regression="unknown"><div class="word">NO CHECK</div><div class="what">${esc(t.note)}</div></section>`;
  if (t.regressions.length === 0 && (t.newest || t.stale || t.thin.length)) {
    const why = t.newest ? `the newest run <code>${esc(t.newest.runId)}</code> did not complete` : t.stale ? `no run for ${num(t.stale.hours)} h` : 'the latest run measured too few streams';
    return `<section class="banner none" data-regression="unknown"><div class="word">NOT JUDGED</div><div class="what">${why}; the latest complete run <code>${esc(t.latest ?? '')}</code>: ${t.checks.length} metrics within their limits</div></section>`;
  }
  if (t.regressions.length === 0) {
    return `<section class="banner pass" data-regression="false"><div class="word">NO REGRESSION</div><div class="what">latest run <code>${esc(t.latest ?? '')}</code>: ${t.checks.length} metrics within their limits</div></section>`;
  }
  const items = t.regressions.map((c) => `<li>${esc(`${c.scenario} · ${c.target} (${c.role}) · ${c.label}: ${fmt(c.unit, c.latest)} vs median ${fmt(c.unit, c.median)} (${change(c)}, allowed ${allowed(c)})`)}</li>`);
  return `<section class="banner fail" data-regression="true"><div class="word">REGRESSION</div><div><div class="what">latest run <code>${esc(t.latest ?? '')}</code> is worse than the median of the previous runs</div><ul class="detail">${items.join('')}</ul></div></section>`;
}

function checks(t: Trend): string {
  if (t.checks.length === 0) return '';
  const rows = t.checks.map(
    (c) =>
      `<tr data-check="${esc(`${c.scenario}/${c.role}/${c.metric}`)}"><td>${esc(c.scenario)}</td><td><span class="key s-${c.role}"><i></i>${esc(c.target)}</span> (${c.role})</td><td>${esc(c.label)}</td>` +
      `<td class="n">${fmt(c.unit, c.latest)}</td><td class="n">${fmt(c.unit, c.median)} <span class="note">of ${c.history}</span></td><td class="n">${change(c)}</td>` +
      `<td class="n">${allowed(c)}<div class="note">${esc(c.why)}</div></td><td><span class="pill ${c.regressed ? 'fail' : 'pass'}">${c.regressed ? 'regressed' : 'ok'}</span></td></tr>`,
  );
  return `<h3>Latest run vs history</h3><table class="checks"><thead><tr><th>Scenario</th><th>Target</th><th>Metric</th><th class="n">Latest</th><th class="n">Median</th><th class="n">Change</th><th class="n">Allowed worse by</th><th>Result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function plots(t: Trend, group: number): string {
  const scenarios = [...new Set(t.rows.flatMap((r) => r.targets.map((x) => x.scenario)))];
  const labels = runLabels(t.rows);
  const latestIdx = t.rows.findIndex((r) => r.runId === t.latest);
  const out: string[] = [];
  for (const sc of scenarios) {
    const charts = TREND_METRICS.filter((m) => PLOTTED.includes(m.key)).map((m) => {
      const series = (['baseline', 'candidate'] as const).map((role) => ({
        name: `${t.rows.findLast((r) => r.targets.some((x) => x.scenario === sc && x.role === role))?.targets.find((x) => x.scenario === sc && x.role === role)?.target ?? role} (${role})`,
        cls: `s-${role}`,
        points: t.rows.flatMap((r, i) => {
          const v = r.targets.find((x) => x.scenario === sc && x.role === role)?.metrics[m.key];
          return typeof v === 'number' ? [[i, v] as const] : [];
        }),
      }));
      const history = latestIdx > 0 ? [{ from: Math.max(0, latestIdx - t.options.window) - 0.5, to: latestIdx - 0.5, label: 'history' }] : [];
      return lineChart({
        id: `trend-${group}-${m.key}-${sc.replace(/[^A-Za-z0-9_-]+/g, '-')}`,
        title: m.label,
        series,
        markers: true,
        bands: t.note ? [] : history,
        x: { label: 'run (UTC date and time, or run id)', min: -0.5, max: Math.max(t.rows.length - 0.5, 0.5), format: (v) => (Number.isInteger(v) ? (labels[v] ?? '') : '') },
        y: { label: m.unit === 'ms' ? 'ms' : 'rate', min: 0, format: (v) => (m.unit === 'ms' ? num(v) : pct(v)) },
      });
    });
    out.push(`<h3>Over time · <code>${esc(sc)}</code></h3><div class="grid2">${charts.join('')}</div>`);
  }
  return out.join('');
}

function rows(rs: TrendRow[]): string {
  const cols = TREND_METRICS.filter((m) => PLOTTED.includes(m.key));
  const body = [...rs].reverse().map((r) => {
    const targets = r.targets
      .map((x) => `<div><span class="key s-${x.role}"><i></i>${esc(x.target)}</span> <span class="note">${esc(x.scenario)}</span> ${cols.map((m) => `${esc(m.label)} <b>${fmt(m.unit, x.metrics[m.key])}</b>`).join(' · ')}</div>`)
      .join('');
    return `<tr data-run="${esc(r.runId)}"><td class="n">${esc(r.date.slice(0, 16).replace('T', ' '))}</td><td><code>${esc(r.runId)}</code>${r.complete ? '' : '<div class="note">incomplete</div>'}</td><td>${esc(r.policy ?? '–')}</td><td><span class="pill ${r.verdict}">${r.verdict}</span></td><td>${targets}</td></tr>`;
  });
  return `<h3>Runs</h3><table class="runs"><thead><tr><th class="n">Date (UTC)</th><th>Run</th><th>Policy</th><th>Verdict</th><th>Key metrics per target</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}
