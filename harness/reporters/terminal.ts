import { mapStrings } from '../json/map-strings.ts';
import { terminalSafe } from '../text/escape.ts';
import type { Percentiles, RunResult, TargetSummary } from '../run/result.ts';
import { endpointsTerminal } from './endpoints.ts';
import { scenarioKind } from './request-metrics.ts';
import { requestScenarioTerminal } from './request-scenario.ts';
import { gateMessage, gateOutcome, outcomeLabel, pct1 as pct, verdictLine } from './format.ts';
import { serverTerminal } from './server-metrics.ts';

export interface TerminalOptions {
  color: boolean;
  /** Print the verdict lines (default true); off when a policy is about to be evaluated and printed on its own. */
  verdict?: boolean;
}

const fmtMs = (p: Percentiles | null, k: keyof Percentiles) => (p ? `${Math.round(p[k])}` : '–');

/** The end-of-run table: one block per scenario, a column per target. Pure: text in, text out. */
export function renderSummary(raw: RunResult, opts: TerminalOptions): string {
  const result = mapStrings(raw, terminalSafe);
  const bold = (s: string) => (opts.color ? `\x1b[1m${s}\x1b[22m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  const lines: string[] = [];
  for (const sc of result.summaries) {
    const b = sc.baseline;
    const c = sc.candidate;
    const kind = scenarioKind(result, sc);
    lines.push(bold(`scenario ${sc.scenario}${kind === 'stream' ? '' : ` (${kind})`}`));
    const head: [string, string, string] = ['', `${b.target} (baseline)`, `${c.target} (candidate)`];
    const rows: [string, string, string][] = [head, ...(kind === 'stream' ? streamRows(b, c) : requestScenarioTerminal(b, c, kind))];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    for (const [i, r] of rows.entries()) {
      const line = `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`;
      lines.push(i === 0 ? dim(line) : line);
    }
  }
  lines.push(...endpointsTerminal(result, bold));
  const l = result.load;
  const extra = [
    l.dropped ? `${l.dropped} dropped (maxInFlight reached)` : '',
    l.warmupIterations ? `${l.warmupIterations} warm-up iterations not summarized` : '',
    l.abandoned ? `${l.abandoned} requests abandoned at interruption` : '',
    l.workers && l.workers > 1 ? `${l.workers} workers` : '',
  ].filter(Boolean);
  lines.push(`${l.iterations} paired iterations (${l.model}) in ${(l.durationMs / 1000).toFixed(1)} s${extra.length ? `, ${extra.join(', ')}` : ''}`);
  lines.push(...serverTerminal(result));
  for (const w of result.harness?.warnings ?? []) lines.push(bold(`WARNING: ${w}`));
  for (const w of result.warnings ?? []) lines.push(bold(`WARNING: ${w}`));
  if (!result.complete) lines.push(bold(`INCOMPLETE: ${result.incompleteReason ?? 'unknown'}`));
  if (opts.verdict !== false) lines.push(...verdict(result, opts));
  return lines.join('\n');
}

/** A stream scenario's rows: [label, baseline, candidate]. */
function streamRows(b: TargetSummary, c: TargetSummary): [string, string, string][] {
  return [
    ['streams', String(b.count), String(c.count)],
    ...(['headersMs', 'firstEventMs', 'firstContentMs', 'completionMs'] as const).map(
      (k): [string, string, string] => [`${label(k)} p50/p95/p99 ms`, triple(b[k]), triple(c[k])],
    ),
    ['gap between events mean/p99 ms', gap(b), gap(c)],
    ['error rate', pct(b.errorRate), pct(c.errorRate)],
    ['interruption rate', pct(b.interruptionRate), pct(c.interruptionRate)],
    ['5xx rate', pct(b.http5xxRate), pct(c.http5xxRate)],
    ['citation presence', cite(b), cite(c)],
    ...(b.dispatchLagMs && b.dispatchLagMs.p99 > 0
      ? ([
          ['service completion p50/p95/p99 ms', triple(b.serviceTime?.completionMs ?? null), triple(c.serviceTime?.completionMs ?? null)],
          ['dispatch lag p50/p99 ms', lag(b), lag(c)],
        ] as [string, string, string][])
      : []),
    ...(b.dropped || c.dropped ? ([['dropped (maxInFlight)', String(b.dropped ?? 0), String(c.dropped ?? 0)]] as [string, string, string][]) : []),
    ['content chars/s p50', fmtMs(b.contentCharsPerSec, 'p50'), fmtMs(c.contentCharsPerSec, 'p50')],
    ['outcomes', outcomes(b), outcomes(c)],
  ];
}

/** The verdict line (colored by status on a TTY) and one line per gate that did not pass. */
function verdict(result: RunResult, opts: TerminalOptions): string[] {
  const paint = (code: number, s: string) => (opts.color ? `\x1b[1;${code}m${s}\x1b[0m` : s);
  const color = { pass: 32, fail: 31, inconclusive: 33 }[result.verdict?.status ?? 'inconclusive'];
  const out = [result.verdict ? paint(color, verdictLine(result)) : verdictLine(result)];
  for (const g of result.verdict?.gates ?? []) {
    const o = gateOutcome(g);
    if (o !== 'pass') out.push(`  ${paint(o === 'fail' ? 31 : o === 'unjudged' ? 2 : 33, outcomeLabel(o).toUpperCase())} ${gateMessage(g)}`);
  }
  return out;
}

function label(k: string): string {
  return { headersMs: 'headers', firstEventMs: 'first event', firstContentMs: 'first content', completionMs: 'completion' }[k] ?? k;
}
function triple(p: Percentiles | null): string {
  return p ? `${fmtMs(p, 'p50')} / ${fmtMs(p, 'p95')} / ${fmtMs(p, 'p99')}` : '–';
}
function gap(s: TargetSummary): string {
  return s.gapMs ? `${s.gapMs.mean.toFixed(1)} / ${fmtMs(s.gapMs, 'p99')}` : '–';
}
function lag(s: TargetSummary): string {
  return s.dispatchLagMs ? `${fmtMs(s.dispatchLagMs, 'p50')} / ${fmtMs(s.dispatchLagMs, 'p99')}` : '–';
}
function cite(s: TargetSummary): string {
  return s.citations.presenceRate === null ? '–' : `${pct(s.citations.presenceRate)} (${s.citations.present}/${s.citations.expected})`;
}
function outcomes(s: TargetSummary): string {
  return (
    Object.entries(s.outcomes)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '–'
  );
}
