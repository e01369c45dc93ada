import { showPointer } from '../contracts/pointer.ts';
import { classCounts } from './contracts.ts';
import { mapStrings } from '../json/map-strings.ts';
import { controlsVisible, markdownSafe } from '../text/escape.ts';
import type { RunResult } from '../run/result.ts';
import { replayMarkdown } from './replay.ts';
import {
  citationCell,
  duration,
  failureBreakdown,
  gateOutcome,
  gateValue,
  jsonValue,
  keyMetrics,
  NO_CONTRACTS,
  NO_POLICY,
  observed,
  verdictLine,
  verdictStatus,
  workLine,
  type GateOutcome,
} from './format.ts';
import { serverMarkdown } from './server-metrics.ts';
import { endpointsMarkdown } from './endpoints.ts';
import { scenarioKind } from './request-metrics.ts';
import { requestScenarioMarkdown } from './request-scenario.ts';

/**
 * summary.md: verdict first, then gates, per-scenario numbers, failures by kind, citation
 * presence, contract drift and hook outcomes. GitHub-flavoured Markdown, for a PR comment or
 * $GITHUB_STEP_SUMMARY. Pure: run.json in, text out.
 */
export function renderMarkdown(raw: RunResult): string {
  // Every string from the run (names, reasons, errors, values) as Markdown text: no raw HTML, no control characters.
  const run = mapStrings(raw, markdownSafe);
  run.contracts?.forEach((s, i) => {
    const curl = raw.contracts?.[i]?.curl;
    if (curl) s.curl = controlsVisible(curl); // shown in a fenced code block, where HTML is not live
  });
  const out: string[] = [];
  const icon = { pass: '✅', fail: '❌', inconclusive: '⚠️', none: 'ℹ️' }[verdictStatus(run)];
  out.push(`# ${icon} parity: ${cell(run.name)}`, '', `**${verdictLine(run)}**`, '');
  for (const r of run.verdict?.reasons ?? []) out.push(`- ${r}`);
  if (run.verdict?.reasons.length) out.push('');
  const l = run.load;
  const targets = run.targets.map((t) => `\`${t.name}\` (${t.role})`).join(' vs ');
  out.push(`Run \`${run.runId}\` · started ${run.startedAt} · ${targets} · ${workLine(run)}${l.abandoned ? ` · ${l.abandoned} requests abandoned` : ''}`);
  if (!run.complete) out.push('', `> **Incomplete run:** ${run.incompleteReason ?? 'unknown'}. An incomplete run never promotes.`);
  for (const w of run.harness?.warnings ?? []) out.push('', `> **Harness warning:** ${w}`);
  for (const w of run.warnings ?? []) out.push('', `> **Warning:** ${w}`);
  out.push('', ...gates(run), ...replayMarkdown(run, (t) => `\`${t}\``), ...endpointsMarkdown(run, table), ...scenarios(run), ...serverMarkdown(run, cell), ...contracts(run), ...hooks(run));
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

const MARK: Record<GateOutcome, string> = { pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warn', inconclusive: '❔ inconclusive', unjudged: '➖ not judged (too few pairs; no evidence of failure)' };

function gates(run: RunResult): string[] {
  const v = run.verdict;
  if (!v) return ['## Gates', '', `_${NO_POLICY}: run with a policy to get a verdict._`, ''];
  const rows = v.gates.map((g) => [
    `\`${g.id}\` ${g.description}`,
    observed(g, g.observed.baseline),
    observed(g, g.observed.candidate),
    gateValue(g, g.value),
    gateValue(g, g.limit),
    MARK[gateOutcome(g)],
  ]);
  return ['## Gates', '', ...table(['Gate', 'Baseline', 'Candidate', 'Value', 'Limit', 'Result'], rows), ''];
}

function scenarios(run: RunResult): string[] {
  const out: string[] = [];
  for (const sc of run.summaries) {
    const b = sc.baseline;
    const c = sc.candidate;
    const kind = scenarioKind(run, sc);
    if (kind !== 'stream') {
      out.push(...requestScenarioMarkdown(run, sc.scenario, kind, b, c, table));
      continue;
    }
    out.push(`## Scenario \`${sc.scenario}\``, '');
    out.push(...table(['Metric', `${b.target} (baseline)`, `${c.target} (candidate)`, 'Δ'], keyMetrics(b, c).map((r) => [r.label, r.baseline, r.candidate, r.delta])), '');
    const kinds = failureBreakdown(b, c);
    out.push('### Failures by kind', '');
    if (kinds.length === 0) out.push('_No failed or interrupted streams._', '');
    else out.push(...table(['Outcome', 'Interruption', b.target, c.target], kinds.map((k) => [k.outcome, k.interruption ? 'yes' : 'no (no stream)', String(k.baseline), String(k.candidate)])), '');
    out.push('### Citation presence', '', ...table(['Target', 'Present / expected'], [[`${b.target} (baseline)`, citationCell(b)], [`${c.target} (candidate)`, citationCell(c)]]), '');
  }
  return out;
}

function contracts(run: RunResult): string[] {
  const steps = run.contracts;
  if (!steps || steps.length === 0) return ['## Contract drift', '', `_${NO_CONTRACTS}._`, ''];
  const rows = steps.map((s) => [
    `\`${s.scenario}\` / \`${s.step}\``,
    String(s.pairs),
    `${s.drifted}${s.skipped ? ` (${s.skipped} flow runs skipped: ${(s.failures ?? []).filter((f) => f.message.startsWith('skipped:')).map((f) => f.message.slice('skipped: '.length)).join('; ')})` : ''}`,
    ...(['breaking', 'additive', 'value'] as const).map((c) => (s.classes ? String(s.classes[c]) : '–')),
    s.drift.length === 0 ? '–' : s.drift.slice(0, 3).map((d) => `\`${showPointer(d.pointer)}\` ${d.class ? `${d.class} ` : ''}${d.kind} ×${d.count}`).join(', ') + (s.drift.length > 3 ? `, +${s.drift.length - 3} more` : ''),
    s.noise.length === 0 ? '–' : s.noise.map((n) => `\`${showPointer(n.pointer)}\``).join(', '),
  ]);
  const out = ['## Contract drift', '', ...table(['Step', 'Pairs', 'Drifted', 'Breaking', 'Additive', 'Value', 'Drift (pointer, class, kind, pairs)', 'Noise (values ignored)'], rows), ''];
  // Failed assertions are not drift, and no less a failure (the terminal marks them ✖, `parity snapshot compare` exits 1).
  for (const s of steps.filter((x) => x.assertionFailures.candidate > 0)) {
    const n = s.assertionFailures.candidate;
    const why = (s.failures ?? []).filter((f) => f.role === 'candidate' && !f.message.startsWith('skipped:')).map((f) => `${f.message} (${f.count}×)`);
    out.push(`- ❌ \`${s.scenario}\` / \`${s.step}\`: candidate failed ${n} assertion${n === 1 ? '' : 's'}${why.length ? `: ${why.join('; ')}` : ''}`);
  }
  if (steps.some((x) => x.assertionFailures.candidate > 0)) out.push('');
  for (const s of steps.filter((x) => x.drifted > 0)) {
    const d = s.drift[0];
    out.push(`<details><summary>${cell(s.scenario)} / ${cell(s.step)}: ${s.drifted} of ${s.pairs} pairs drifted${classCounts(s)}</summary>`, '');
    if (d) out.push(`First drift at \`${showPointer(d.pointer)}\` (${d.class ?? 'value'} ${d.kind}): baseline \`${jsonValue(d.example.baseline)}\`, candidate \`${jsonValue(d.example.candidate)}\``, '');
    if (s.curl) out.push('```sh', s.curl, '```', '');
    if (s.diffs?.length) out.push(`Drifting pairs under load, written whole (both requests and responses, a curl per target): ${s.diffs.map((f) => `[\`${f}\`](${f})`).join(', ')}${s.drifted > s.diffs.length ? ` (the first ${s.diffs.length} of ${s.drifted})` : ''}`, '');
    else if (s.artifact) out.push(`Diff: \`${s.artifact}\``, '');
    out.push('</details>', '');
  }
  return out;
}

function hooks(run: RunResult): string[] {
  const hs = run.hooks;
  if (!hs || hs.length === 0) return ['## Hooks', '', `_No hooks fired${run.verdict ? '' : ` (${NO_POLICY})`}._`, ''];
  const rows = hs.map((h) => [
    h.on,
    h.kind,
    `\`${h.target}\``,
    h.dryRun ? 'dry run' : h.ok ? '✅ ok' : '❌ failed',
    h.exitCode !== null ? `exit ${h.exitCode}` : h.httpStatus !== null ? `HTTP ${h.httpStatus}` : '–',
    String(h.attempts),
    duration(h.durationMs),
    h.timedOut ? 'timed out' : (h.error ?? ''),
  ]);
  return ['## Hooks', '', ...table(['On', 'Kind', 'Target', 'Result', 'Status', 'Attempts', 'Duration', 'Error'], rows), ''];
}

/** Escapes what would break a table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}
