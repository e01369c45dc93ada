import { showPointer } from '../contracts/pointer.ts';
import { classCounts } from './contracts.ts';
import type { ContractStepSummary, HookResult, RunResult, TargetSummary, Timeline } from '../run/result.ts';
import {
  citationCell,
  duration,
  esc,
  failureBreakdown,
  gateOutcome,
  outcomeLabel,
  gateValue,
  isContractOnly,
  jsonValue,
  keyMetrics,
  NO_CONTRACTS,
  NO_POLICY,
  num,
  observed,
  pct,
  verdictLine,
  verdictStatus,
  workLine,
} from './format.ts';
import { htmlPage } from './html-page.ts';
import { barChart, emptyChart, lineChart, outcomeBars, type LineSeries } from './svg.ts';
import { serverHtml } from './server-metrics.ts';
import { endpointsHtml } from './endpoints-html.ts';
import { scenarioKind } from './request-metrics.ts';
import { requestScenarioHtml } from './request-scenario-html.ts';
import { replayHtml } from './replay.ts';

/**
 * report.html: verdict banner, gates, per-scenario numbers and plots (CDFs of first content and
 * completion, gap histogram, failures by kind, citation presence), the run's timeline, contract
 * diffs with curl reproductions, hook results. One self-contained file, no script. Pure.
 */
export function renderHtml(run: RunResult): string {
  const body = [header(run), banner(run), callouts(run), gates(run), replayHtml(run), endpointsHtml(run), ...run.summaries.map((s) => scenarioSection(run, s)), timeline(run), serverHtml(run), contracts(run), hooks(run), footer(run)];
  return htmlPage(`parity · ${run.name} · ${verdictStatus(run).toUpperCase()}`, body.join('\n'));
}

function header(run: RunResult): string {
  const l = run.load;
  const targets = run.targets.map((t) => `<span class="key s-${t.role}"><i></i><b>${esc(t.name)}</b> (${t.role}) <code>${esc(t.baseUrl)}</code></span>`).join(' &nbsp; ');
  return (
    `<h1>${esc(run.name)}</h1>` +
    `<p class="meta">run <code>${esc(run.runId)}</code> · started ${esc(run.startedAt)} · ${esc(workLine(run, true))}` +
    `${l.abandoned ? ` · ${l.abandoned} requests abandoned` : ''} · config <code>${esc(run.configFile)}</code></p><p class="meta">${targets}</p>`
  );
}

function banner(run: RunResult): string {
  const status = verdictStatus(run);
  const word = status === 'none' ? 'NO VERDICT' : status.toUpperCase();
  const reasons = run.verdict?.reasons ?? [];
  const list = reasons.length ? `<ul class="detail">${reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const what = status === 'none' ? `${NO_POLICY}: run with a policy to get a verdict` : verdictLine(run).replace(/^Verdict: \w+ \((policy [^)]*)\): /, '$1 · ');
  return `<section class="banner ${status}" data-verdict="${status}"><div class="word">${word}</div><div><div class="what">${esc(what)}</div>${list}</div></section>`;
}

function callouts(run: RunResult): string {
  const out: string[] = [];
  if (!run.complete) out.push(`<div class="callout bad"><b>Incomplete run:</b> ${esc(run.incompleteReason ?? 'unknown')}. An incomplete run never promotes.</div>`);
  for (const w of run.harness?.warnings ?? []) out.push(`<div class="callout"><b>Harness warning:</b> ${esc(w)}</div>`);
  for (const w of run.warnings ?? []) out.push(`<div class="callout bad"><b>Warning:</b> ${esc(w)}</div>`);
  return out.join('');
}

function gates(run: RunResult): string {
  const v = run.verdict;
  if (!v) return `<h2>Gates</h2><p class="absent">${NO_POLICY}.</p>`;
  const rows = v.gates.map((g) => {
    const o = gateOutcome(g);
    return (
      `<tr data-gate="${esc(g.id)}"><td><code>${esc(g.id)}</code><br>${esc(g.description)}<div class="note">${esc(g.reason)}</div></td><td>${esc(g.scenario ?? 'all')}</td>` +
      `<td class="n">${esc(observed(g, g.observed.baseline))}</td><td class="n">${esc(observed(g, g.observed.candidate))}</td>` +
      `<td class="n">${esc(gateValue(g, g.value))}${g.interval ? `<div class="note">${esc(`${gateValue(g, g.interval.low)} … ${gateValue(g, g.interval.high)}`)}</div>` : ''}</td>` +
      `<td class="n">${esc(gateValue(g, g.limit))}</td><td class="n">${g.samples.baseline} / ${g.samples.candidate}</td><td><span class="pill ${o}">${outcomeLabel(o)}</span></td></tr>`
    );
  });
  return (
    `<h2>Gates <span class="note">policy ${esc(v.policy)}</span></h2><table class="gates"><thead><tr><th>Gate</th><th>Scenario</th><th class="n">Baseline</th><th class="n">Candidate</th>` +
    `<th class="n">Value</th><th class="n">Limit</th><th class="n">Samples</th><th>Result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

const msAxis = (label: string, log: boolean) => ({ label, log, format: (v: number) => num(v) });

function cdfChart(id: string, title: string, b: TargetSummary, c: TargetSummary, key: 'firstContentMs' | 'completionMs' | 'itlMs' | 'tpotMs'): string {
  const series: LineSeries[] = [];
  for (const s of [b, c]) {
    const q = s.cdf?.[key];
    if (q) series.push({ name: `${s.target} (${s.role})`, cls: `s-${s.role}`, points: q.map((v, i) => [v, i / 100] as const) });
  }
  if (series.length === 0) return emptyChart(id, title, b.cdf || c.cdf ? 'No stream reached this point.' : 'This run.json has no distribution data (written by an older parity).');
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const log = xs.length > 0 && Math.max(...xs) / Math.min(...xs) > 30;
  const p = (s: TargetSummary) => s[key];
  const note = `p50 ${num(p(b)?.p50)} vs ${num(p(c)?.p50)} ms · p95 ${num(p(b)?.p95)} vs ${num(p(c)?.p95)} ms · p99 ${num(p(b)?.p99)} vs ${num(p(c)?.p99)} ms (baseline vs candidate)${log ? ' · log scale' : ''}`;
  return lineChart({ id, title, series, x: msAxis('milliseconds', log), y: { label: 'share of streams', min: 0, max: 1, format: (v) => `${Math.round(v * 100)}%` }, note });
}

function gapChart(id: string, b: TargetSummary, c: TargetSummary): string {
  const title = 'Gaps between events';
  const hb = b.gapHistogram ?? null;
  const hc = c.gapHistogram ?? null;
  if (!hb && !hc) return emptyChart(id, title, b.gapHistogram === undefined ? 'This run.json has no histogram data.' : 'No stream had two events.');
  const edges = [...new Set([...(hb?.edges.slice(0, -1) ?? []), ...(hc?.edges.slice(0, -1) ?? [])])].sort((x, y) => x - y);
  const share = (h: typeof hb) => {
    const total = h ? h.counts.reduce((a, n) => a + n, 0) : 0;
    return edges.map((e) => (h && total ? (h.counts[h.edges.indexOf(e)] ?? 0) / total : 0));
  };
  return barChart({
    id,
    title,
    categories: edges.map((e) => num(e)),
    series: [
      { name: `${b.target} (baseline)`, cls: 's-baseline', values: share(hb) },
      { name: `${c.target} (candidate)`, cls: 's-candidate', values: share(hc) },
    ],
    x: { label: 'gap from (ms), log-spaced buckets' },
    y: { label: 'share of gaps', format: (v) => `${Math.round(v * 100)}%` },
    note: `mean ${num(b.gapMs?.mean)} vs ${num(c.gapMs?.mean)} ms · p99 ${num(b.gapMs?.p99)} vs ${num(c.gapMs?.p99)} ms (baseline vs candidate)`,
  });
}

function failuresChart(id: string, b: TargetSummary, c: TargetSummary): string {
  const kinds = failureBreakdown(b, c);
  return outcomeBars({
    id,
    title: 'Failures by kind',
    empty: 'No failed or interrupted streams.',
    rows: kinds,
    targets: { baseline: b.target, candidate: c.target },
    unit: 'streams',
    format: (v) => num(v),
    note: `interruption rate ${pct(b.interruptionRate)} vs ${pct(c.interruptionRate)} · interruptions (broken 2xx streams): ${kinds.filter((k) => k.interruption).map((k) => k.outcome).join(', ') || 'none'}`,
  });
}

/** A stream scenario's section, or a request or flow scenario's (what each measures). */
function scenarioSection(run: RunResult, s: RunResult['summaries'][number]): string {
  const kind = scenarioKind(run, s);
  return kind === 'stream' ? scenario(s.scenario, s.baseline, s.candidate) : requestScenarioHtml(run, s.scenario, kind, s.baseline, s.candidate);
}

function scenario(name: string, b: TargetSummary, c: TargetSummary): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  const rows = keyMetrics(b, c).map((r) => `<tr><td>${esc(r.label)}</td><td class="n">${esc(r.baseline)}</td><td class="n">${esc(r.candidate)}</td><td class="n">${esc(r.delta)}</td></tr>`);
  const kinds = failureBreakdown(b, c);
  const kindRows = kinds.map((k) => `<tr><td>${k.outcome}</td><td>${k.interruption ? 'interruption' : 'no stream'}</td><td class="n">${k.baseline}</td><td class="n">${k.candidate}</td></tr>`);
  const cite = (s: TargetSummary) => {
    const r = s.citations.presenceRate;
    const bar = r === null ? '' : `<span class="meter s-${s.role}"><b style="width:${Math.round(r * 1000) / 10}%"></b></span>`;
    return `<tr><td>${esc(s.target)} (${s.role})</td><td>${bar}${esc(citationCell(s))}</td></tr>`;
  };
  return (
    `<section class="scenario" data-scenario="${esc(name)}"><h2>Scenario <code>${esc(name)}</code></h2>` +
    `<table class="metrics"><thead><tr><th>Metric</th><th class="n">${esc(b.target)} (baseline)</th><th class="n">${esc(c.target)} (candidate)</th><th class="n">Δ</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<div class="grid2">${cdfChart(`cdf-first-content-${slug}`, 'Time to first content (CDF)', b, c, 'firstContentMs')}${cdfChart(`cdf-completion-${slug}`, 'Completion time (CDF)', b, c, 'completionMs')}` +
    // Beside first content: inter-token latency and time per output token (runs written before they were measured have none).
    (b.cdf?.itlMs !== undefined || c.cdf?.itlMs !== undefined
      ? `${cdfChart(`cdf-itl-${slug}`, 'Inter-token latency (CDF)', b, c, 'itlMs')}${cdfChart(`cdf-tpot-${slug}`, 'Time per output token (CDF)', b, c, 'tpotMs')}`
      : '') +
    `${gapChart(`gap-histogram-${slug}`, b, c)}${failuresChart(`failures-${slug}`, b, c)}</div>` +
    (kinds.length ? `<h3>Failures by kind</h3><table><thead><tr><th>Outcome</th><th>Kind</th><th class="n">${esc(b.target)}</th><th class="n">${esc(c.target)}</th></tr></thead><tbody>${kindRows.join('')}</tbody></table>` : '') +
    `<h3>Citation presence</h3><table class="citations"><tbody>${cite(b)}${cite(c)}</tbody></table></section>`
  );
}

function timeline(run: RunResult): string {
  // Contract flows have no load timeline: no empty box for them.
  if (isContractOnly(run)) return '';
  const t: Timeline | undefined = run.timeline;
  if (!t || t.series.every((s) => s.completed.length === 0)) return `<h2>Timeline</h2>${emptyChart('timeline-throughput', 'Throughput', 'No timeline in this run.json (nothing measured, or written by an older parity).')}`;
  const sec = t.bucketMs / 1000;
  // Bucket i covers [i, i+1) seconds: a closing point draws the last bucket's full width.
  const pts = (xs: number[]) => [...xs.map((v, i) => [i * sec, v / sec] as const), ...(xs.length ? [[xs.length * sec, xs.at(-1)! / sec] as const] : [])];
  const bands = (t.stages ?? []).map((s) => ({ from: s.startMs / 1000, to: s.endMs / 1000, label: s.name }));
  const x = { label: 'seconds since the first request', format: (v: number) => num(v), min: 0, max: Math.max(...t.series.map((s) => s.completed.length)) * sec };
  // What completed: streams, requests (request and flow scenarios), or both in a mixed run.
  const kinds = new Set(run.summaries.map((s) => (scenarioKind(run, s) === 'stream' ? 'streams' : 'requests')));
  const what = kinds.size === 1 ? [...kinds][0]! : 'streams and requests';
  const through = lineChart({
    id: 'timeline-throughput',
    title: `Completed ${what} per second`,
    step: true,
    bands,
    series: t.series.map((s) => ({ name: `${s.target} (${s.role})`, cls: `s-${s.role}`, points: pts(s.completed) })),
    x,
    y: { label: `${what} / s`, min: 0, format: (v) => num(v) },
  });
  const total = (xs: number[]) => xs.reduce((a, n) => a + n, 0);
  const fails = lineChart({
    id: 'timeline-failures',
    title: 'Errors and interruptions per second',
    step: true,
    bands,
    // Four lines that are often equal (all 0): each dashed its own way and drawn a little apart.
    series: t.series.flatMap((s) => [
      { name: `${s.target} interruptions (${total(s.interruptions)})`, cls: `s-${s.role}${s.role === 'candidate' ? ' dot2' : ''}`, points: pts(s.interruptions) },
      { name: `${s.target} errors, no stream (${total(s.errors)})`, cls: `s-${s.role} dash`, points: pts(s.errors) },
    ]),
    spread: 2,
    note: 'Lines are drawn 2 px apart so that equal counts stay visible side by side.',
    x,
    y: { label: `${what} / s`, min: 0, max: Math.max(1, ...t.series.flatMap((s) => [...s.interruptions, ...s.errors]).map((v) => v / sec)) * 1.1, format: (v) => num(v) },
  });
  const stageNote = bands.length ? '' : '<p class="note">The load model reported no stages.</p>';
  return `<h2>Timeline</h2><div class="grid2">${through}${fails}</div>${stageNote}`;
}

function contracts(run: RunResult): string {
  const steps = run.contracts;
  if (!steps || steps.length === 0) return `<h2>Contract drift</h2><p class="absent">${NO_CONTRACTS}.</p>`;
  const drifted = steps.filter((s) => s.drifted > 0).length;
  return `<h2>Contract drift <span class="note">${drifted} of ${steps.length} steps drifted</span></h2>${steps.map(contractStep).join('')}`;
}

function contractStep(s: ContractStepSummary): string {
  const status =
    s.drifted > 0
      ? `<span class="pill fail">drift</span>`
      : s.skipped
        ? `<span class="pill fail">skipped</span>`
        : s.assertionFailures.candidate > 0
          ? `<span class="pill fail">assertions failed</span>`
          : `<span class="pill pass">identical</span>`;
  const rows = s.drift.map(
    (d) =>
      `<tr data-pointer="${esc(d.pointer)}" data-class="${esc(d.class ?? 'value')}"><td><code>${esc(showPointer(d.pointer))}</code>${examplesOf(d)}</td><td><span class="kind">${esc(d.class ?? 'value')}</span></td><td><span class="kind">${esc(d.kind)}</span></td><td class="n">${d.count}</td>` +
      `<td><pre class="s-baseline">${esc(jsonValue(d.example.baseline, 2000))}</pre></td><td><pre class="s-candidate">${esc(jsonValue(d.example.candidate, 2000))}</pre></td></tr>`,
  );
  const table = rows.length
    ? `<table><thead><tr><th>Pointer</th><th>Class</th><th>Kind</th><th class="n">Pairs</th><th>Baseline</th><th>Candidate</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '<p class="absent">No drift: every pair matched after normalization.</p>';
  const noise = s.noise.length ? `<p class="note">Values ignored as noise (differ between two baseline responses; a missing, extra or retyped field is still drift): ${s.noise.map((n) => `<code>${esc(showPointer(n.pointer))}</code> ×${n.count}`).join(', ')}</p>` : '';
  const skipped = s.skipped ? `<p class="note">Not sent in ${s.skipped} flow run${s.skipped === 1 ? '' : 's'}: ${(s.failures ?? []).filter((f) => f.message.startsWith('skipped:')).map((f) => esc(f.message)).join('; ')}</p>` : '';
  const asserts = s.assertionFailures.baseline + s.assertionFailures.candidate ? `<p class="note">Assertion failures: baseline ${s.assertionFailures.baseline}, candidate ${s.assertionFailures.candidate}</p>` : '';
  const curl = s.curl ? `<h3>Reproduce</h3><pre class="curl">${esc(s.curl)}</pre>` : '';
  // Linked only as a plain relative path (beside run.json): a run.json is data, never a source of script URLs.
  const linkable = s.artifact !== null && !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(s.artifact);
  const link = (f: string) => (linkable && !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(f) ? `<a href="${esc(f)}">${esc(f)}</a>` : `<code>${esc(f)}</code>`);
  const artifact = s.diffs?.length
    ? `<p class="note diffs">Drifting pairs under load, written whole (both requests and responses, a curl per target): ${s.diffs.map(link).join(', ')}${s.drifted > s.diffs.length ? ` (the first ${s.diffs.length} of ${s.drifted})` : ''}</p>`
    : s.artifact
      ? `<p class="note">Full diff: ${link(s.artifact)}</p>`
      : '';
  return (
    `<details class="contract" data-step="${esc(`${s.scenario}/${s.step}`)}"${s.drifted > 0 ? ' open' : ''}><summary>${status} <code>${esc(s.scenario)}</code> / <code>${esc(s.step)}</code> · ` +
    `${s.drifted} of ${s.pairs} pairs drifted${esc(classCounts(s))} · ${s.identical} identical</summary>${table}${noise}${skipped}${asserts}${curl}${artifact}</details>`
  );
}

/** A grouped row (`/items/*\/id`): how many differences, and the first pointers. */
function examplesOf(d: ContractStepSummary['drift'][number]): string {
  if (!d.examples || (d.occurrences ?? 0) <= d.count) return '';
  return `<div class="note">${d.occurrences} differences, first at ${d.examples.map((e) => `<code>${esc(showPointer(e.pointer))}</code>`).join(', ')}</div>`;
}

function hooks(run: RunResult): string {
  const hs: HookResult[] = run.hooks ?? [];
  if (hs.length === 0) return `<h2>Hooks</h2><p class="absent">No hooks fired${run.verdict ? '' : ` (${NO_POLICY})`}.</p>`;
  const rows = hs.map((h) => {
    const o = h.dryRun ? 'none' : h.ok ? 'pass' : 'fail';
    const label = h.dryRun ? 'dry run' : h.ok ? 'ok' : 'failed';
    const status = h.exitCode !== null ? `exit ${h.exitCode}` : h.httpStatus !== null ? `HTTP ${h.httpStatus}` : '–';
    const tails = [h.stdoutTail && `stdout:\n${h.stdoutTail}`, h.stderrTail && `stderr:\n${h.stderrTail}`].filter(Boolean).join('\n');
    return (
      `<tr><td>${h.on}</td><td>${h.kind}</td><td><code>${esc(h.target)}</code></td><td><span class="pill ${o}">${label}</span></td><td class="n">${esc(status)}</td>` +
      `<td class="n">${h.attempts}</td><td class="n">${duration(h.durationMs)}</td><td>${esc(h.timedOut ? 'timed out' : (h.error ?? ''))}${tails ? `<pre>${esc(tails)}</pre>` : ''}</td></tr>`
    );
  });
  return `<h2>Hooks</h2><table class="hooks"><thead><tr><th>On</th><th>Kind</th><th>Target</th><th>Result</th><th class="n">Status</th><th class="n">Attempts</th><th class="n">Duration</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function footer(run: RunResult): string {
  const h = run.harness;
  const loop = h?.eventLoopDelayMs ? ` · harness event-loop delay p99 ${num(h.eventLoopDelayMs.p99)} ms` : '';
  const runtime = run.tool.node ? ` on Node ${esc(run.tool.node)}${run.tool.nodeFlags?.length ? ` (${esc(run.tool.nodeFlags.join(' '))})` : ''}` : '';
  return `<footer>parity ${esc(run.tool.version)}${runtime} · run.json schema ${run.schemaVersion} · ${run.samples.pairs} pairs in ${esc(run.samples.file)}${loop}</footer>`;
}
