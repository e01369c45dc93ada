import { OUTCOMES, type Outcome } from '../metrics/sample.ts';
import type { RunResult, TargetSummary } from '../run/result.ts';
import { endpointRows } from './endpoints.ts';
import { ms, pct, pp, rel, type MetricRow } from './format.ts';

/**
 * What a request or flow scenario measured, the way the Markdown, HTML and terminal reports show
 * it: time to headers and whole-response latency (not first event, first content or chars/s, which
 * a JSON answer does not have), status classes, outcomes, and the numbers per step and route.
 * Pure: run.json in, rows out.
 */
export type ScenarioKind = 'stream' | 'request' | 'flow';
type Summary = RunResult['summaries'][number];

/** Outcomes a request or flow step can end with, always listed (a 0 is evidence too). */
export const REQUEST_OUTCOMES: readonly Outcome[] = ['ok', 'http_error', 'connect_error', 'reset', 'timeout', 'assertion_failed', 'capture_failed'];
/** Request outcomes first (ok leading), then any other. */
const ORDER: readonly Outcome[] = [...REQUEST_OUTCOMES, ...OUTCOMES.filter((o) => !REQUEST_OUTCOMES.includes(o))];
const STREAM_ONLY: readonly Outcome[] = ['complete', 'stalled', 'no_terminal', 'error_event', 'malformed', 'truncated', 'empty'];
const REQUEST_ONLY: readonly Outcome[] = ['ok', 'assertion_failed', 'capture_failed'];

/**
 * The scenario's kind: as run.json says; for a run written before kinds (or a shadow window), a
 * scenario with endpoints is a request (a flow when they have steps), and so is one whose answers
 * were read whole and never as a stream.
 */
export function scenarioKind(run: Pick<RunResult, 'endpoints'>, s: Summary): ScenarioKind {
  if (s.kind) return s.kind;
  const eps = (run.endpoints ?? []).filter((e) => e.scenario === s.scenario);
  if (eps.length) return eps.some((e) => e.step !== null) ? 'flow' : 'request';
  const n = (t: TargetSummary, os: readonly Outcome[]) => os.reduce((a, o) => a + t.outcomes[o], 0);
  const requestLike = n(s.baseline, REQUEST_ONLY) + n(s.candidate, REQUEST_ONLY) > 0;
  return requestLike && n(s.baseline, STREAM_ONLY) + n(s.candidate, STREAM_ONLY) === 0 ? 'request' : 'stream';
}

/** The key numbers of a request or flow scenario (a flow's: every step's requests together), with deltas. */
export function requestMetrics(b: TargetSummary, c: TargetSummary, kind: Exclude<ScenarioKind, 'stream'>): MetricRow[] {
  const rows: MetricRow[] = [{ label: kind === 'flow' ? 'requests (all steps)' : 'requests', baseline: String(b.count), candidate: String(c.count), delta: '' }];
  const timing = (label: string, k: 'headersMs' | 'completionMs') => {
    for (const q of ['p50', 'p95', 'p99'] as const) rows.push({ label: `${label} ${q}`, baseline: ms(b[k]?.[q]), candidate: ms(c[k]?.[q]), delta: rel(b[k]?.[q], c[k]?.[q]) });
  };
  timing('time to headers', 'headersMs');
  timing('whole response', 'completionMs');
  const rate = (label: string, f: (s: TargetSummary) => number) => rows.push({ label, baseline: pct(f(b)), candidate: pct(f(c)), delta: pp(f(b), f(c)) });
  rate('error rate', (s) => s.errorRate);
  rate('5xx rate', (s) => s.http5xxRate);
  return rows;
}

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** Responses per status class, and requests that got no status at all (connect errors, resets before headers). */
export function statusClasses(s: TargetSummary): { cls: string; n: number }[] {
  const k = s.statusClasses;
  if (!k) return [];
  const answered = STATUS_CLASSES.reduce((a, c) => a + k[c], 0);
  return [...STATUS_CLASSES.map((cls) => ({ cls, n: k[cls] })), { cls: 'no status', n: Math.max(0, s.count - answered) }];
}

/** Outcome counts per target: every request outcome, plus any other either target saw. */
export function requestOutcomes(b: TargetSummary, c: TargetSummary): { outcome: Outcome; baseline: number; candidate: number }[] {
  return ORDER.filter((o) => REQUEST_OUTCOMES.includes(o) || b.outcomes[o] + c.outcomes[o] > 0).map((o) => ({ outcome: o, baseline: b.outcomes[o], candidate: c.outcomes[o] }));
}

/** "ok 54 · http_error 6": the outcomes a target saw, non-zero ones only. */
export function outcomeCell(s: TargetSummary): string {
  return ORDER.filter((o) => s.outcomes[o] > 0).map((o) => `${o} ${s.outcomes[o]}`).join(' · ') || '–';
}

export interface StepRow {
  step: string;
  route: string;
  count: [number, number];
  headers: { baseline: string; candidate: string; delta: string };
  latency: { q: 'p50' | 'p95' | 'p99'; baseline: string; candidate: string; delta: string }[];
  outcomes: [string, string];
}

/** One row per step and route of a scenario (a request scenario: its route), from run.json's endpoints. */
export function stepRows(run: RunResult, scenario: string): StepRow[] {
  return endpointRows(run)
    .filter((r) => r.scenario === scenario)
    .map((r) => {
      const [b, c] = [r.baseline.headersMs?.p50, r.candidate.headersMs?.p50];
      return {
        step: r.step ?? '–',
        route: r.route,
        count: r.count,
        headers: { baseline: ms(b), candidate: ms(c), delta: rel(b, c) },
        latency: r.latency.map((l) => ({ ...l, baseline: l.baseline === '–' ? '–' : `${l.baseline} ms`, candidate: l.candidate === '–' ? '–' : `${l.candidate} ms` })),
        outcomes: [outcomeCell(r.baseline), outcomeCell(r.candidate)],
      };
    });
}
