import { mulberry32 as rng } from '../../fixtures/backends/chat-backend.ts';
import { summarize } from '../../harness/metrics/summary.ts';
import { buildTimeline } from '../../harness/metrics/timeline.ts';
import type { Outcome, Role, StreamSample } from '../../harness/metrics/sample.ts';
import { RUN_SCHEMA_VERSION, RunResult, type GateResult, type TargetSummary } from '../../harness/run/result.ts';

export interface SyntheticTarget {
  name: string;
  firstContentMs: number;
  gapMs: number;
  tokens?: number;
  /** Probability per stream of each failure outcome. */
  faults?: Partial<Record<Outcome, number>>;
  citationDrop?: number;
}

/** Streams shaped like a fixture backend's: jittered first content and gaps, seeded faults. */
export function syntheticSamples(t: SyntheticTarget, role: Role, n: number, seed: number, t0: number): StreamSample[] {
  const r = rng(seed);
  const out: StreamSample[] = [];
  for (let i = 0; i < n; i++) {
    const startedAt = t0 + Math.floor((i / n) * 8000);
    let outcome: Outcome = 'complete';
    let acc = 0;
    const roll = r();
    for (const [o, p] of Object.entries(t.faults ?? {}) as [Outcome, number][]) {
      acc += p;
      if (roll < acc) {
        outcome = o;
        break;
      }
    }
    const noStream = outcome === 'http_error' || outcome === 'connect_error';
    const headersMs = 2 + r() * 3;
    const first = headersMs + t.firstContentMs * (0.85 + r() * 0.3 + (r() < 0.05 ? r() : 0));
    const gaps = Array.from({ length: noStream ? 0 : (t.tokens ?? 12) }, () => Math.round(t.gapMs * (0.6 + r() * 0.8 + (r() < 0.02 ? 2 : 0)) * 100) / 100);
    const completion = first + gaps.reduce((a, g) => a + g, 0);
    const expectsCitations = i % 3 !== 0;
    const s: StreamSample = {
      target: t.name,
      role,
      scenario: 'chat-stream',
      requestId: `req-${seed}-${i}`,
      iteration: i,
      vu: i % 10,
      promptIndex: i % 7,
      expectsCitations,
      startedAt,
      outcome,
      status: outcome === 'http_error' ? 503 : outcome === 'connect_error' ? undefined : 200,
      endMs: noStream ? headersMs : outcome === 'complete' ? completion : completion * 0.6,
      gapsMs: gaps,
      events: gaps.length + 1,
      contentChunks: gaps.length,
      contentChars: gaps.length * 5,
      bytes: gaps.length * 60,
      citations: expectsCitations && r() >= (t.citationDrop ?? 0) ? 1 : 0,
    };
    if (s.status === undefined) delete s.status;
    if (!noStream) {
      s.headersMs = headersMs;
      s.firstEventMs = first;
      s.firstContentMs = first;
      if (outcome === 'complete') s.completionMs = completion;
    } else s.error = { code: outcome === 'http_error' ? 'HTTP_503' : 'ECONNREFUSED', message: 'synthetic' };
    out.push(s);
  }
  return out;
}

/** A complete run.json built from synthetic samples through the real summary and timeline code. */
export function syntheticRun(p: { runId: string; startedAt: string; n?: number; seed?: number; baseline: SyntheticTarget; candidate: SyntheticTarget }): RunResult {
  const n = p.n ?? 300;
  const seed = p.seed ?? 1;
  const t0 = Date.parse(p.startedAt) + 500;
  const b = syntheticSamples(p.baseline, 'baseline', n, seed, t0);
  const c = syntheticSamples(p.candidate, 'candidate', n, seed + 1000, t0);
  const targets = [
    { name: p.baseline.name, role: 'baseline' as const },
    { name: p.candidate.name, role: 'candidate' as const },
  ];
  return RunResult.parse({
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: { name: 'parity', version: '0.1.0' },
    runId: p.runId,
    name: 'nightly: python → node chat stream parity',
    configFile: 'scenarios/nightly.config.ts',
    startedAt: p.startedAt,
    endedAt: new Date(Date.parse(p.startedAt) + 10_000).toISOString(),
    complete: true,
    config: {},
    targets: targets.map((t) => ({ ...t, baseUrl: `http://127.0.0.1:${t.role === 'baseline' ? 8000 : 3000}` })),
    preflight: [],
    load: { model: 'closed', plannedIterations: n, plannedDurationMs: null, iterations: n, abandoned: 0, durationMs: 9_000 },
    summaries: [{ scenario: 'chat-stream', baseline: summarize(p.baseline.name, 'baseline', 'chat-stream', b), candidate: summarize(p.candidate.name, 'candidate', 'chat-stream', c) }],
    samples: { file: 'samples.ndjson', pairs: n },
    timeline: buildTimeline(targets, [...b, ...c]),
  });
}

/** A gate judged honestly from the summaries: its status follows from value vs limit. */
function gate(
  id: string,
  description: string,
  metric: string,
  comparison: GateResult['comparison'],
  severity: GateResult['severity'],
  b: number | null,
  c: number | null,
  limit: number,
  atMost: boolean,
  samples: { baseline: number; candidate: number; min: number },
): GateResult {
  const value = b === null || c === null ? null : comparison === 'ratio' ? c / b : comparison === 'delta_pp' ? (c - b) * 100 : c;
  const enough = samples.baseline >= samples.min && samples.candidate >= samples.min;
  const margin = value === null ? null : atMost ? limit - value : value - limit;
  const status = !enough || margin === null ? 'inconclusive' : margin >= 0 ? 'pass' : 'fail';
  const reason = status === 'inconclusive' ? `needs ${samples.min} samples per target` : status === 'pass' ? 'within the limit' : 'outside the limit';
  return { id, description, metric, scenario: 'chat-stream', comparison, severity, status, observed: { baseline: b, candidate: c }, value, limit, margin, interval: null, samples, reason };
}

/**
 * Fills every section the reports render (verdict with pass/fail/warn/inconclusive gates, hooks,
 * contracts with drift and noise, harness health, load stages), validated by the RunResult schema.
 */
export function withAllSections(run: RunResult): RunResult {
  const sc = run.summaries[0]!;
  const b: TargetSummary = sc.baseline;
  const c: TargetSummary = sc.candidate;
  const n = { baseline: b.count, candidate: c.count, min: 50 };
  const gates = [
    gate('ttfc-p95', 'p95 first content <= 1.20x baseline', 'firstContentMs.p95', 'ratio', 'fail', b.firstContentMs?.p95 ?? null, c.firstContentMs?.p95 ?? null, 1.2, true, n),
    gate('completion-p95', 'p95 completion <= 1.10x baseline', 'completionMs.p95', 'ratio', 'fail', b.completionMs?.p95 ?? null, c.completionMs?.p95 ?? null, 1.1, true, n),
    gate('interruptions', 'interruption rate <= baseline + 1pp', 'interruptionRate', 'delta_pp', 'fail', b.interruptionRate, c.interruptionRate, 1, true, n),
    gate('citations', 'citation presence >= 95%', 'citations.presenceRate', 'absolute', 'warn', b.citations.presenceRate, c.citations.presenceRate, 0.95, false, n),
    gate('gap-p99', 'p99 gap <= 1.5x baseline (needs 100k gaps)', 'gapMs.p99', 'ratio', 'fail', b.gapMs?.p99 ?? null, c.gapMs?.p99 ?? null, 1.5, true, { ...n, min: 100_000 }),
  ];
  const failed = gates.filter((g) => g.status === 'fail' && g.severity === 'fail');
  const status = failed.length ? 'fail' : gates.some((g) => g.status === 'inconclusive') ? 'inconclusive' : 'pass';
  const end = (run.timeline?.series[0]?.completed.length ?? 1) * 1000;
  return RunResult.parse({
    ...run,
    timeline: { ...run.timeline, stages: [ { name: 'ramp-up', startMs: 0, endMs: 2000 }, { name: 'steady', startMs: 2000, endMs: end } ] },
    verdict: {
      status,
      policy: 'release-gates',
      gates,
      reasons: [...failed.map((g) => `${g.id} failed: ${g.description}`), ...gates.filter((g) => g.status === 'inconclusive').map((g) => `${g.id} inconclusive: ${g.reason}`)],
      evaluatedAt: run.endedAt ?? run.startedAt,
    },
    hooks: [
      { on: status === 'pass' ? 'pass' : 'fail', kind: 'exec', target: 'scripts/rollback.sh', ok: true, dryRun: false, exitCode: 0, httpStatus: null, attempts: 1, timedOut: false, durationMs: 412, stdoutTail: 'traffic shifted back to python (100%)', stderrTail: '' },
      { on: status === 'pass' ? 'pass' : 'fail', kind: 'webhook', target: 'https://hooks.example.test/deploy', ok: false, dryRun: false, exitCode: null, httpStatus: 500, attempts: 3, timedOut: false, durationMs: 1830, stdoutTail: '', stderrTail: '', error: 'HTTP 500 after 3 attempts' },
    ],
    contracts: [
      {
        scenario: 'sessions-api',
        step: 'GET /sessions/{id}',
        pairs: 40,
        identical: 31,
        drifted: 9,
        drift: [
          { pointer: '/session/created_at', kind: 'type', count: 9, example: { pointer: '/session/created_at', kind: 'type', baseline: 1732300000, candidate: '2024-11-22T18:26:40Z' } },
          { pointer: '/session/messages/0/citations', kind: 'array_length', count: 4, example: { pointer: '/session/messages/0/citations', kind: 'array_length', baseline: [{ id: 'doc-1' }, { id: 'doc-4' }], candidate: [{ id: 'doc-1' }] } },
        ],
        noise: [{ pointer: '/request_id', count: 40 }],
        assertionFailures: { baseline: 0, candidate: 2 },
        artifact: 'contracts/sessions-api/get-session.diff.txt',
        curl: "curl -sS -X GET 'http://127.0.0.1:3000/sessions/parity-demo-7' -H 'authorization: [redacted]'",
      },
      { scenario: 'sessions-api', step: 'GET /health', pairs: 40, identical: 40, drifted: 0, drift: [], noise: [], assertionFailures: { baseline: 0, candidate: 0 }, artifact: null, curl: null },
    ],
    harness: { eventLoopDelayMs: { p50: 0.4, p99: 3.1, max: 7.9 }, dispatchLagMs: null, warnings: ['event-loop delay max 7.9 ms: within limits, kept as a warning by this fixture to exercise the callout'] },
  });
}
