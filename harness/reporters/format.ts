import { xmlSafe } from '../text/escape.ts';
import { INTERRUPTIONS, OUTCOMES, type Outcome } from '../metrics/sample.ts';
import type { GateResult, Percentiles, RunResult, TargetSummary } from '../run/result.ts';

/**
 * What every file reporter (Markdown, HTML, JUnit) says the same way: number formats, the
 * verdict line, the key metrics of a scenario, gate values. Pure; nothing here reads the clock,
 * so a report re-rendered from a stored run.json is byte-identical.
 */

export type VerdictStatus = 'pass' | 'fail' | 'inconclusive' | 'none';

export const NO_POLICY = 'no policy evaluated';
export const NO_CONTRACTS = 'no contract scenarios';

export function verdictStatus(run: RunResult): VerdictStatus {
  return run.verdict?.status ?? 'none';
}

/** "Verdict: FAIL (policy release-gates): 2 of 7 gates failed" — the first line every report leads with. */
export function verdictLine(run: RunResult): string {
  const v = run.verdict;
  if (!v) return `Verdict: NONE (${NO_POLICY})${run.complete ? '' : `; run incomplete: ${run.incompleteReason ?? 'unknown'}`}`;
  const failed = v.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').length;
  const inconclusive = v.gates.filter((g) => g.status === 'inconclusive').length;
  const unjudged = v.gates.filter((g) => g.status === 'unjudged').length;
  const parts = [`${v.gates.length} gate${v.gates.length === 1 ? '' : 's'}`, `${failed} failed`];
  if (inconclusive) parts.push(`${inconclusive} inconclusive`);
  if (unjudged) parts.push(`${unjudged} not judged (too few pairs; no evidence of failure)`);
  return `Verdict: ${v.status.toUpperCase()} (policy ${v.policy}): ${parts.join(', ')}`;
}

/** Drops trailing zeros of a fixed-point text ("12.50" → "12.5"); exponent forms ("1.00e-10") are left alone. */
const trim = (s: string) => (s.includes('.') && !/e/i.test(s) ? s.replace(/\.?0+$/, '') : s);

/**
 * `v` in fixed point with at least `digits` decimals, and more when fewer would round a value
 * that is not 0 to "0", or a share below 100 % to "100": one failure in 30 000 is "0.0033%",
 * never "0%", and a 99.996 % presence is never "100%".
 */
function fixedHonest(v: number, digits: number, full?: number): string {
  let d = digits;
  let s = v.toFixed(d);
  const lies = () => (v !== 0 && Number(s) === 0) || (full !== undefined && Math.abs(v) !== full && Math.abs(Number(s)) === full);
  while (lies() && d < 20) s = v.toFixed(++d);
  return s;
}

/** A number with sensible precision: 1234 → "1234", 12.345 → "12.3", 0.01234 → "0.0123". */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return trim(v.toFixed(1));
  if (a >= 1) return trim(v.toFixed(2));
  return trim(v.toPrecision(3));
}

export const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${num(v)} ms`);
export const pct = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${trim(fixedHonest(r * 100, 2, 100))}%`);
/** A rate with one decimal for the terminal's narrow columns, with more only where one decimal would round a failure away. */
export const pct1 = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${fixedHonest(r * 100, 1, 100)}%`);

/** The unit a metric name implies, for observed values of gates whose metric is a free-form name. */
function metricUnit(metric: string): 'rate' | 'ms' | 'plain' {
  // Server-side series are in their source's units (seconds, bytes, fractions), never ms.
  if (metric.startsWith('server.')) return /rate|ratio|share|fraction|compliance/i.test(metric) ? 'rate' : 'plain';
  if (/rate|presence|ratio|share|fraction/i.test(metric)) return 'rate';
  if (/ms\b|Ms\b|latency|completion|first|gap|headers|ttf|duration/i.test(metric)) return 'ms';
  return 'plain';
}

/** An observed baseline/candidate value of a gate's metric. */
export function observed(g: GateResult, v: number | null): string {
  if (v === null) return '–';
  const unit = metricUnit(g.metric);
  return unit === 'rate' ? pct(v) : unit === 'ms' ? ms(v) : num(v);
}

/** A gate's compared value or limit, in the gate's unit. */
export function gateValue(g: GateResult, v: number | null): string {
  if (v === null) return '–';
  if (g.comparison === 'ratio') return `${num(v)}×`;
  if (g.comparison === 'delta_pp') return `${v >= 0 ? '+' : ''}${num(v)} pp`;
  return observed(g, v);
}

export type GateOutcome = 'pass' | 'fail' | 'warn' | 'inconclusive' | 'unjudged';
/**
 * A failed gate of severity warn does not fail the verdict: it is a warning. `unjudged` (an
 * evidence-only guard with too few pairs to judge its scope alone) is neither a pass nor a hold.
 */
export function gateOutcome(g: GateResult): GateOutcome {
  if (g.status === 'fail') return g.severity === 'warn' ? 'warn' : 'fail';
  return g.status;
}

/** How a gate outcome reads in a report: `unjudged` is "not judged", never a pass. */
export function outcomeLabel(o: GateOutcome): string {
  return o === 'unjudged' ? 'not judged' : o;
}

/** "observed 1.31× vs limit 1.2× (p95 completion <= 1.20x baseline)" */
export function gateMessage(g: GateResult): string {
  const obs = `baseline ${observed(g, g.observed.baseline)}, candidate ${observed(g, g.observed.candidate)}`;
  return `${g.description}: observed ${gateValue(g, g.value)} vs limit ${gateValue(g, g.limit)} (${obs}). ${g.reason}`.trim();
}

export interface MetricRow {
  label: string;
  baseline: string;
  candidate: string;
  /** Candidate vs baseline: relative for times, percentage points for rates. */
  delta: string;
}

/** A signed delta text; a delta that rounds to zero shows no sign. */
const signed = (d: number, text: string) => (Number(text) === 0 ? text.replace(/^-/, '') : `${d > 0 ? '+' : ''}${text}`);
export const rel = (b: number | null | undefined, c: number | null | undefined) => {
  if (b === null || b === undefined || c === null || c === undefined || b === 0) return '–';
  const d = ((c - b) / b) * 100;
  return `${signed(d, d.toFixed(1))}%`;
};
export const pp = (b: number | null, c: number | null) => (b === null || c === null ? '–' : `${signed(c - b, trim(fixedHonest((c - b) * 100, 2)))} pp`);

/** The key numbers of one scenario, baseline beside candidate, with the delta a release engineer would compute. */
export function keyMetrics(b: TargetSummary, c: TargetSummary): MetricRow[] {
  const rows: MetricRow[] = [{ label: 'streams', baseline: String(b.count), candidate: String(c.count), delta: '' }];
  const timing = (label: string, k: 'headersMs' | 'firstContentMs' | 'completionMs' | 'gapMs', q: keyof Percentiles) =>
    rows.push({ label: `${label} ${q}`, baseline: ms(b[k]?.[q]), candidate: ms(c[k]?.[q]), delta: rel(b[k]?.[q], c[k]?.[q]) });
  for (const q of ['p50', 'p95', 'p99'] as const) timing('first content', 'firstContentMs', q);
  for (const q of ['p50', 'p95', 'p99'] as const) timing('completion', 'completionMs', q);
  timing('gap between events', 'gapMs', 'mean');
  timing('gap between events', 'gapMs', 'p99');
  const rate = (label: string, f: (s: TargetSummary) => number | null) => rows.push({ label, baseline: pct(f(b)), candidate: pct(f(c)), delta: pp(f(b), f(c)) });
  rate('error rate', (s) => s.errorRate);
  rate('interruption rate', (s) => s.interruptionRate);
  rate('5xx rate', (s) => s.http5xxRate);
  rate('citation presence', (s) => s.citations.presenceRate);
  return rows;
}

/** Outcomes other than complete, in a fixed order, with whether each is an interruption (a broken 2xx stream). */
export const FAILURE_KINDS: readonly { outcome: Outcome; interruption: boolean }[] = OUTCOMES.filter((o) => o !== 'complete' && o !== 'ok').map((o) => ({
  outcome: o,
  interruption: INTERRUPTIONS.includes(o),
}));

/** Failure kinds either target saw, with counts. */
export function failureBreakdown(b: TargetSummary, c: TargetSummary): { outcome: Outcome; interruption: boolean; baseline: number; candidate: number }[] {
  return FAILURE_KINDS.map((k) => ({ ...k, baseline: b.outcomes[k.outcome], candidate: c.outcomes[k.outcome] })).filter((r) => r.baseline + r.candidate > 0);
}

export function citationCell(s: TargetSummary): string {
  const c = s.citations;
  return c.presenceRate === null ? 'no prompt expects citations' : `${pct(c.presenceRate)} (${c.present}/${c.expected})`;
}

/** A contract value for display: JSON, shortened. */
export function jsonValue(v: unknown, max = 200): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A run of contract flows only: no paired load, so no iteration count, summaries or timeline to show. */
export function isContractOnly(run: RunResult): boolean {
  return run.summaries.length === 0 && (run.contracts?.length ?? 0) > 0;
}

/** What the run did, for the header line: "400 paired iterations in 8.1 s", or the contract steps compared. */
export function workLine(run: RunResult, withModel = false): string {
  const l = run.load;
  if (isContractOnly(run)) return `contract flows only: ${run.contracts!.length} step${run.contracts!.length === 1 ? '' : 's'} compared in ${duration(l.durationMs)}`;
  return `${l.iterations} paired iterations${withModel ? ` (${l.model} load)` : ''} in ${duration(l.durationMs)}`;
}

export function duration(msTotal: number): string {
  return msTotal < 1000 ? `${Math.round(msTotal)} ms` : `${(msTotal / 1000).toFixed(1)} s`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML and XML content and attribute values (characters XML 1.0 cannot hold shown as `\u` and four hex digits). */
export const esc = (s: string) => xmlSafe(s).replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
