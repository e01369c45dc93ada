import { percentiles } from '../metrics/percentiles.ts';
import type { ContractStepSummary, GateResult, RunResult, Verdict } from '../run/result.ts';
import { pairedBootstrap, type BootstrapOptions } from './bootstrap.ts';
import { formatInterval, formatValue, type ReportUnit } from './format.ts';
import { baselineFailedCompared, baselineMostlyFailed, failedCounts, serverFailedCounts } from './guard.ts';
import { moverRatio, newcombeDiff, normalQuantile, wilson, zFor, type Interval } from './intervals.ts';
import type { LoadedPolicy, ResolvedGate } from './load.ts';
import { FAILED_MS, METRICS, TOKEN_BASED, type CountMetric, type GatePair, type RateMetric, type ValueMetric } from './metrics.ts';
import { evaluateServerGate } from './server.ts';
import { sameBackend } from './same-backend.ts';
import { upper, type Op } from './threshold.ts';

/**
 * Policy + run + paired samples (as the gates keep them: `gatePair`) → Verdict. Pure: no I/O, no
 * clock unless `now` is left out, and the bootstrap is seeded, so the same inputs always give the
 * same verdict.
 *
 * A gate is judged on the confidence interval of its compared quantity: pass only when the whole
 * interval is within the limit, fail only when the whole interval is beyond it, otherwise
 * inconclusive. Exact counts have no interval and are judged as observed. Too few samples, no
 * data, an incomplete run or harness-health warnings never give a pass.
 */
export function evaluatePolicy(policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[], now: Date = new Date()): Verdict {
  const z = zFor(policy.confidence);
  // The failed-requests guard comes last on every policy (guard.ts): no verdict is blind to failures.
  const scoped = scopedGuards(policy);
  const gates = [
    ...policy.gates.map((g) => evaluateGate(g, policy, run, pairs, z)),
    ...[policy.guard, ...scoped].map((guard) => evaluateGuard(guard, policy, run, pairs, z)),
    ...scenarioGuards(policy, runScopes(run, pairs), scoped).map((guard) => evaluateEvidenceGuard(guard, policy, run, pairs, z)),
    ...replayEndpointGuards(policy, run, pairs, scoped, z),
  ];
  const reasons: string[] = [];
  // An evidence-only guard that could not judge its scope alone (`unjudged`) neither passes nor holds the verdict back.
  const blocking = gates.filter((g) => g.severity === 'fail' && g.status !== 'unjudged');
  const failed = blocking.filter((g) => g.status === 'fail');
  const open = blocking.filter((g) => g.status === 'inconclusive');
  for (const g of failed) reasons.push(`FAIL ${g.reason}`);
  for (const g of open) reasons.push(`INCONCLUSIVE ${g.reason}`);
  const runBlockers: string[] = [];
  if (!run.complete) runBlockers.push(`run incomplete (${run.incompleteReason ?? 'unknown reason'}): part of a run never passes`);
  const itself = sameBackend(run);
  if (itself) runBlockers.push(itself);
  for (const w of run.warnings ?? []) runBlockers.push(`${w}; streams that were not understood cannot pass`);
  for (const w of run.harness?.warnings ?? []) runBlockers.push(`harness health: ${w}; the harness may have shaped the numbers, so no pass`);
  const dropped = droppedUngated(policy, run);
  if (dropped) runBlockers.push(`${dropped} scheduled start${dropped === 1 ? ' was' : 's were'} dropped (maxInFlight in flight): never measured, so the pairs judged are not the planned load (a backend that froze fills maxInFlight and its worst moments go unsampled); gate dropped_iterations to judge them`);
  for (const r of runBlockers) reasons.push(`${policy.insufficient === 'fail' ? 'FAIL' : 'INCONCLUSIVE'} ${r}`);
  for (const g of gates.filter((x) => x.severity === 'warn' && x.status !== 'pass')) reasons.push(`WARN ${g.reason}`);

  let status: Verdict['status'];
  // Warn gates only: the policy reports and never decides (no pass without a deciding gate; the
  // implicit guard is reported with the rest but decides nothing either).
  if (blocking.length === 0 || (policy.gates.length > 0 && policy.gates.every((g) => g.severity === 'warn'))) return { status: 'inconclusive', policy: policy.name, gates, reasons: [WARN_ONLY_REASON, ...reasons], evaluatedAt: now.toISOString() };
  if (failed.length) status = 'fail';
  else if (runBlockers.length && policy.insufficient === 'fail') status = 'fail';
  else if (open.length || runBlockers.length) status = 'inconclusive';
  else status = 'pass';
  if (status === 'pass') reasons.unshift(`all ${blocking.length} gate${blocking.length === 1 ? '' : 's'} pass${notJudged(gates)}`);
  return { status, policy: policy.name, gates, reasons, evaluatedAt: now.toISOString() };
}

/**
 * What a pass did not judge: the evidence-only guards of scopes with too few pairs to show a pass,
 * named with their pairs, so a pass (and the hook it fires) never reads as covering them.
 */
function notJudged(gates: readonly GateResult[]): string {
  const un = gates.filter((g) => g.status === 'unjudged');
  if (un.length === 0) return '';
  const named = un.slice(0, 10).map((g) => {
    const n = Math.min(g.samples.baseline, g.samples.candidate);
    return `${g.id} (${n} pair${n === 1 ? '' : 's'})`;
  });
  return `; ${un.length} scope${un.length === 1 ? '' : 's'} not judged alone (too few pairs to show a pass, no evidence of failure): ${named.join(', ')}${un.length > 10 ? ', …' : ''}`;
}

/**
 * Dropped starts of a scheduled load's measured part when no deciding `dropped_iterations` gate
 * judges them, else 0: the summaries count them without the warm-up's (run.load.dropped, which a
 * run.json written before summaries counted them falls back to, has both). Shadow windows sample
 * live traffic and have their own rule (a harness warning past 5% dropped copies).
 */
function droppedUngated(policy: LoadedPolicy, run: RunResult): number {
  if (run.load.model.startsWith('shadow') || policy.gates.some((g) => g.metric.name === 'dropped_iterations' && g.severity === 'fail')) return 0;
  if (run.summaries.some((s) => s.candidate.dropped !== undefined)) return run.summaries.reduce((a, s) => a + (s.candidate.dropped ?? 0), 0);
  const m = METRICS.get('dropped_iterations');
  return (m?.kind === 'count' && m.fromRun?.(run, null)?.candidate) || 0;
}

export const WARN_ONLY_REASON = 'warn-only policy: every gate is severity "warn", so the gates are reported and none decides (no hook fires; exit code as without a policy)';

/** What a judged interval gives (`unjudged` is only an evidence-only guard's, evaluateEvidenceGuard). */
type Status = Exclude<GateResult['status'], 'unjudged'>;
type Judged = { value: number | null; interval: Interval | null; method: string; exact: boolean };

interface Measured {
  observed: { baseline: number | null; candidate: number | null };
  samples: { baseline: number; candidate: number };
  main: Judged;
  floor?: Judged;
  /** Why there is nothing to judge (no data), if so. */
  noData?: string;
  /** What the figure is made of when that is not what its name says (added to the reason). */
  note?: string;
  /** A count that compares with the baseline (contract drift) whose baseline mostly failed: why it has no reference. */
  noReference?: string;
}

function evaluateGate(g: ResolvedGate, policy: LoadedPolicy, run: RunResult, allPairs: readonly GatePair[], z: number): GateResult {
  if (g.metric.kind === 'server') return evaluateServerGate({ ...g, metric: g.metric }, run, judge, margin);
  const scope = scopeOf(g, run);
  const pairs = pairsIn(g, run, allPairs);
  const m = g.metric;
  const measured =
    m.kind === 'value' ? measureValue(m, g, pairs, policy) : m.kind === 'rate' ? measureRate(m, g, pairs, z) : measureCount(m, run, pairs, scope, policy.confidence, contractScope(g, run));
  const t = g.threshold;
  const isRate = m.kind === 'rate';
  const unit: ReportUnit = t.comparison === 'ratio' ? 'ratio' : t.comparison === 'delta' && isRate ? 'pp' : (m.unit as ReportUnit);
  const scale = unit === 'pp' ? 100 : 1;
  const limit = t.limit * scale;
  const needBoth = t.comparison !== 'absolute';
  const have = needBoth ? Math.min(measured.samples.baseline, measured.samples.candidate) : measured.samples.candidate;
  const base: Omit<GateResult, 'status' | 'value' | 'margin' | 'interval' | 'reason'> = {
    id: g.id,
    description: g.description,
    metric: m.name,
    scenario: g.scenario,
    route: g.route,
    ...(g.step !== null ? { step: g.step } : {}),
    comparison: t.comparison === 'delta' && isRate ? 'delta_pp' : t.comparison,
    severity: g.severity,
    observed: measured.observed,
    limit,
    samples: { ...measured.samples, min: g.minSamples },
    unit,
    ...(g.source ? { source: g.source } : {}),
  };
  const scaled = (j: Judged) => ({
    value: j.value === null ? null : j.value * scale,
    interval: j.interval ? { low: j.interval.low * scale, high: j.interval.high * scale, level: policy.confidence, method: j.method } : null,
  });
  const main = scaled(measured.main);
  const insufficient = g.insufficient === 'fail' ? 'fail' : 'inconclusive';
  // An exact count only grows with more samples: one already beyond an upper limit fails, however few the samples.
  const countFailsAnyway = measured.main.exact && !measured.noData && main.value !== null && upper(t.op) && judge(t.op, limit, main.value, null, true) === 'fail';
  if (!countFailsAnyway && (measured.noData || have < g.minSamples)) {
    const why = measured.noData ?? `${have} ${needBoth ? 'samples on a side' : 'candidate samples'}, fewer than minSamples ${g.minSamples}`;
    return { ...base, status: insufficient, value: main.value, margin: margin(t.op, limit, main.value), interval: main.interval, reason: `${g.id}: ${why}; not enough to judge ${g.description}` };
  }
  const what = t.comparison === 'absolute' ? 'candidate' : t.comparison === 'ratio' ? 'candidate/baseline' : 'candidate − baseline';
  const mainStatus = judge(t.op, limit, main.value, main.interval, measured.main.exact);
  let status = mainStatus;
  let reason = `${g.id}: ${what} ${formatValue(main.value, unit)}${main.interval ? `, ${formatInterval(main.interval, unit)}` : ''} ${verb(mainStatus, measured.main.exact)} ${t.op} ${formatValue(limit, unit)}`;
  if (measured.main.value === null && t.comparison === 'ratio') reason = `${g.id}: the baseline is 0, so candidate/baseline is undefined`;
  let floor: GateResult['floor'];
  if (t.floor && measured.floor) {
    const floorUnit: ReportUnit = isRate ? 'pp' : (m.unit as ReportUnit);
    const fs = isRate ? 100 : 1;
    const f = { value: measured.floor.value === null ? null : measured.floor.value * fs, interval: measured.floor.interval ? { low: measured.floor.interval.low * fs, high: measured.floor.interval.high * fs, level: policy.confidence, method: measured.floor.method } : null };
    const fLimit = t.floor.limit * fs;
    const fStatus = judge(t.floor.op, fLimit, f.value, f.interval, false);
    floor = { value: f.value, limit: fLimit, margin: margin(t.floor.op, fLimit, f.value), interval: f.interval, status: fStatus, unit: floorUnit };
    status = anyOf(mainStatus, fStatus);
    reason += `; or candidate − baseline ${formatValue(f.value, floorUnit)}${f.interval ? `, ${formatInterval(f.interval, floorUnit)}` : ''} ${verb(fStatus, false)} ${t.floor.op} ${formatValue(fLimit, floorUnit)}`;
  }
  if (measured.note) reason += `; ${measured.note}`;
  // A comparison with a baseline that mostly failed judged nothing: no pass, and the reason says why
  // (a failing candidate still fails).
  // Contract drift is absolute in form but compares with the baseline's answers: its own pairs say whether the baseline answered.
  const noReference = status === 'fail' ? undefined : t.comparison !== 'absolute' ? baselineMostlyFailed(pairs) : measured.noReference;
  if (noReference) {
    if (status === 'pass') status = insufficient;
    reason += `; no reference: ${noReference}`;
  }
  return { ...base, status, value: main.value, margin: margin(t.op, limit, main.value), interval: main.interval, reason, ...(floor ? { floor } : {}) };
}

/**
 * The guard is a rate gate on error_rate (candidate − baseline), except that a candidate with no
 * more failed streams than its baseline, over enough pairs, has nothing hidden: it passes.
 */
function evaluateGuard(guard: ResolvedGate, policy: LoadedPolicy, run: RunResult, allPairs: readonly GatePair[], z: number): GateResult {
  const g = evaluateGate(guard, policy, run, allPairs, z);
  const pairs = pairsIn(guard, run, allPairs);
  // A contract-only run (no load phase) sends no paired streams: there is nothing for the guard to
  // count, and its own gates (contract drift, assertion failures) are the evidence.
  if ((run.load.model === 'none' || run.load.model === 'snapshot-compare') && pairs.length === 0) return { ...g, status: 'pass', reason: `${g.id}: no load phase (contract flows only): the guard counts paired load requests, of which there are none` };
  const k = failedCounts(pairs);
  if (g.status === 'pass' || pairs.length < guard.minSamples || k.candidate > k.baseline || baselineMostlyFailed(pairs)) return g;
  return { ...g, status: 'pass', reason: `${g.id}: the candidate failed ${k.candidate} of ${pairs.length} compared requests (streams are requests too), the baseline ${k.baseline}: no more failures than the baseline` };
}

/**
 * The guard again over the scope of every deciding gate scoped to a scenario, route or flow step
 * that reads streams or requests (but error_rate): such a gate reads its scope's survivors (completion.p95 over the
 * completed streams), and a scope that is a small share of the traffic moves the run-wide error
 * rate by less than the guard's margin. Judged with the gate's own minSamples if lower.
 */
export function scopedGuards(policy: LoadedPolicy): ResolvedGate[] {
  const out = new Map<string, ResolvedGate>();
  for (const g of policy.gates) {
    // citation_presence reads the completed streams of the prompts that expect citations, a scope of
    // its own: a candidate breaking a third of RAG answers that are 1% of the traffic moved the
    // run-wide error rate by 0.3 pp, and presence over the survivors stayed whole.
    if (g.severity === 'fail' && g.metric.name === 'citation_presence') {
      const where = `citations${g.scenario !== null ? `:${g.scenario}` : g.route !== null ? `:route:${g.route}` : ''}`;
      if (!out.has(where)) {
        out.set(where, { ...policy.guard, id: `${policy.guard.id}@${where}`, description: `${policy.guard.description} (streams whose prompt expects citations${g.scenario !== null ? `, scenario ${g.scenario}` : g.route !== null ? `, route ${g.route}` : ''})`, scenario: g.scenario, route: g.route, step: g.step, citationPrompts: true, minSamples: Math.min(policy.guard.minSamples, g.minSamples) });
      }
    }
    // error_rate is the guard's own reading: a gate on it already counts every failure of its scope.
    if (g.severity !== 'fail' || (g.metric.kind !== 'value' && g.metric.kind !== 'rate') || g.metric.name === 'error_rate' || (g.scenario === null && g.route === null)) continue;
    const where = g.scenario !== null ? `${g.scenario}${g.step !== null ? `/${g.step}` : ''}` : `route:${g.route}`;
    if (out.has(where)) continue;
    const scope = g.scenario !== null ? ` (scenario ${g.scenario}${g.step !== null ? `, step ${g.step}` : ''})` : ` (route ${g.route})`;
    out.set(where, { ...policy.guard, id: `${policy.guard.id}@${where}`, description: `${policy.guard.description}${scope}`, scenario: g.scenario, route: g.route, step: g.step, minSamples: Math.min(policy.guard.minSamples, g.minSamples) });
  }
  return [...out.values()];
}

/** A scenario of a run (or a config) and its flow steps (none for a stream or request scenario). */
export interface GuardScope {
  scenario: string;
  steps: readonly string[];
}

/**
 * The implicit guard of every scenario and of every step of a multi-step flow, deciding on evidence
 * only. The run-wide guard pools every pair, so a scenario that is 0.3% of the iterations moves it
 * by 0.3 pp even when its candidate fails every request; gates scoped to a scenario get a full guard
 * (scopedGuards), the others had none. These fail when the scope's candidate − baseline failure rate
 * is entirely beyond the margin (`failedRequests`) at the policy's confidence, however few its
 * pairs (the interval is as wide as they are few), pass over `minSamples` pairs when the guard
 * would, and are otherwise `unjudged`: a 2%-weight scenario with 12 pairs shows no pass and holds
 * no verdict back. A flow's steps are distinct endpoints in fixed proportion to the flow (one pair
 * per step and iteration), so a write step failing one in five of a six-step flow is 3 pp of the
 * flow and 20 pp of the step: its own guard sees it with a sixth of the pairs. None where the
 * scope is the whole run (one scenario; a one-step flow is its scenario), none where a full scoped
 * guard already reads it.
 */
export function scenarioGuards(policy: LoadedPolicy, scopes: readonly GuardScope[], scoped: readonly ResolvedGate[] = scopedGuards(policy)): ResolvedGate[] {
  const taken = new Set(scoped.map((g) => g.id));
  const out: ResolvedGate[] = [];
  const add = (scenario: string, step: string | null) => {
    const id = `${policy.guard.id}@${scenario}${step !== null ? `/${step}` : ''}`;
    if (taken.has(id)) return;
    taken.add(id);
    const scope = ` (scenario ${scenario}${step !== null ? `, step ${step}` : ''}; fails on evidence only)`;
    out.push({ ...policy.guard, id, description: `${policy.guard.description}${scope}`, scenario, route: null, step, onEvidence: true, insufficient: 'inconclusive', minSamples: policy.guard.minSamples });
  };
  for (const s of scopes) {
    if (scopes.length > 1) add(s.scenario, null);
    if (s.steps.length > 1) for (const step of s.steps) add(s.scenario, step);
  }
  return out;
}

/**
 * The scenarios of a run (its summaries, then any other the pairs name) with their flow steps: the
 * steps its config lists, in order, then any other its pairs name. A configured step no pair names
 * was never sent in the measured window (every iteration stopped before it): it gets its guard too.
 */
export function runScopes(run: RunResult, pairs: readonly GatePair[]): GuardScope[] {
  const steps = new Map<string, Set<string>>();
  for (const s of run.summaries) steps.set(s.scenario, new Set(flowSteps(run, s.scenario)));
  for (const p of pairs) {
    let mine = steps.get(p.scenario);
    if (!mine) steps.set(p.scenario, (mine = new Set()));
    if (p.step !== undefined && p.step !== null) mine.add(p.step);
  }
  return [...steps].map(([scenario, s]) => ({ scenario, steps: [...s] }));
}

/** A flow scenario's step names as its config (recorded in run.json) lists them; none for other scenarios. */
function flowSteps(run: RunResult, scenario: string): string[] {
  const scenarios = (run.config as { scenarios?: unknown } | null)?.scenarios;
  if (!Array.isArray(scenarios)) return [];
  const sc = scenarios.find((x): x is { type: string; steps: unknown } => x?.name === scenario && x?.type === 'flow');
  return Array.isArray(sc?.steps) ? sc.steps.flatMap((st: unknown) => (typeof (st as { name?: unknown })?.name === 'string' ? [(st as { name: string }).name] : [])) : [];
}

/**
 * A flow step no pair reached although its flow ran, shown at the policy's confidence (reached in
 * none of the flow's n measured iterations, and 0 of n has an upper bound below one half), or
 * undefined: a step before it stopped every iteration (a failed capture on a side), so nothing was
 * measured there.
 */
function unreachedStep(guard: ResolvedGate, run: RunResult, allPairs: readonly GatePair[], z: number): string | undefined {
  if (guard.step === null || guard.scenario === null) return undefined;
  const first = flowSteps(run, guard.scenario)[0];
  if (first === undefined || first === guard.step) return undefined;
  let n = 0;
  for (const p of allPairs) {
    if (p.scenario !== guard.scenario) continue;
    if (p.step === guard.step) return undefined;
    if (p.step === first) n++;
  }
  if (n === 0 || wilson(0, n, z).high >= 0.5) return undefined;
  return `the flow reached step ${guard.step} in none of its ${n} measured iterations (a step before it stopped every one: a capture failed on a side), so nothing was measured there; a candidate failing this step every time would pass. Look at the earlier steps' failures (both sides failing alike: a value that is not unique per side on a shared database?)`;
}

/**
 * An evidence-only guard (scenarioGuards): fail when the interval over its pairs is entirely beyond
 * the margin, whatever their number; pass as the guard does over `minSamples` pairs; otherwise
 * `unjudged`, never a pass and never a reason to hold the verdict back.
 */
function evaluateEvidenceGuard(guard: ResolvedGate, policy: LoadedPolicy, run: RunResult, allPairs: readonly GatePair[], z: number): GateResult {
  const evidence = evaluateGuard({ ...guard, minSamples: 1 }, policy, run, allPairs, z);
  const min = { ...evidence.samples, min: guard.minSamples };
  if (evidence.status === 'fail') return { ...evidence, samples: min, reason: `${evidence.reason}: this scope's candidate fails more than the margin allows, at the policy's confidence, over ${Math.min(evidence.samples.baseline, evidence.samples.candidate)} pairs` };
  const full = evaluateGuard(guard, policy, run, allPairs, z);
  if (full.status === 'pass') return full;
  // A flow step never reached: no evidence of anything there, and not for being small (its flow ran).
  const unreached = unreachedStep(guard, run, allPairs, z);
  if (unreached) return { ...full, status: policy.insufficient === 'fail' ? 'fail' : 'inconclusive', reason: `${guard.id}: ${unreached}` };
  // A scope whose baseline failed most of its requests, shown at the policy's confidence (the lower
  // bound of its failure rate above one half), compared the candidate with failures: no reference,
  // as for any gate there, and it holds the verdict however small the scope. Both sides answering
  // 401 to a fifth of a mixed run's iterations passed: the run-wide baseline failed a fifth (not
  // most) and this guard, seeing no evidence of the candidate failing more, was `not judged`.
  const pairs = pairsIn(guard, run, allPairs);
  const mostlyFailed = baselineMostlyFailed(pairs);
  if (mostlyFailed && wilson(failedCounts(pairs).baseline, pairs.length, z).low > 0.5) {
    const reason = full.reason.includes('; no reference: ') ? full.reason : `${full.reason}; no reference: ${mostlyFailed}`;
    return { ...full, status: policy.insufficient === 'fail' ? 'fail' : 'inconclusive', reason };
  }
  // A scope none of whose pairs holds two answers compared nothing: with one pair, that pair may be
  // all there is of it (a candidate failing it passed the run; 2 of 2 fail on evidence, and a
  // baseline failing 30 of 30 is no reference). No evidence the candidate serves it: never a pass.
  const none = nothingCompared(pairs);
  if (none) return { ...full, status: policy.insufficient === 'fail' ? 'fail' : 'inconclusive', reason: `${guard.id}: no answer compared: ${none}, so nothing here shows the candidate serving this scope and a pass would claim it (test/redteam/one-pair-scope.test.ts)` };
  const n = Math.min(full.samples.baseline, full.samples.candidate);
  const why = n === 0 ? 'no pairs in this scope' : n < guard.minSamples ? `${n} pair${n === 1 ? '' : 's'}, fewer than minSamples ${guard.minSamples} to show a pass` : 'the interval straddles the margin';
  const seen = evidence.interval ? `candidate − baseline ${formatValue(evidence.value, 'pp')}, ${formatInterval(evidence.interval, 'pp')}` : 'no interval';
  const noRef = full.reason.includes('; no reference: ') ? full.reason.slice(full.reason.indexOf('; no reference: ')) : '';
  return {
    ...full,
    status: 'unjudged',
    reason: `${guard.id}: not judged alone (${why}): ${seen} is not entirely beyond ${guard.threshold.op} ${formatValue(full.limit, 'pp')}, so no evidence of failure here and no pass either; these pairs count in the run-wide ${policy.guard.id}${noRef}`,
  };
}

/** Why a scope's pairs compared no two answers (every request failed on a side), or undefined (or when it has no pairs). */
function nothingCompared(pairs: readonly GatePair[]): string | undefined {
  const n = pairs.length;
  if (n === 0) return undefined;
  const k = failedCounts(pairs);
  const of = `of this scope's ${n} request${n === 1 ? '' : 's'}`;
  if (k.baseline === n) return `the baseline answered none ${of} (the candidate ${n - k.candidate})`;
  if (k.candidate === n) return `the candidate answered none ${of} (the baseline ${n - k.baseline})`;
  return undefined;
}

/**
 * The guard of each endpoint of a replay, reported only when it fails on evidence (its interval
 * entirely beyond the margin, however few its pairs), or when the baseline refused (401/403) most
 * of the endpoint's requests at the policy's confidence: no reference there (inconclusive). A replay is one scenario, so neither the
 * scenario guards nor the run-wide guard see an endpoint apart: a rare endpoint of the capture
 * whose candidate failed every request (checkout, 1 request in 1000, 500 on every one) moved the
 * pooled error rate by 0.1 pp and PASSED (test/redteam/replay-rare-endpoint-broken.test.ts). An
 * endpoint with no evidence of failure adds nothing (a capture may have thousands; the run-wide
 * guard counts their pairs), and one failing on both sides alike holds nothing back here (real
 * traffic's 404s on both backends are parity) unless the failures are the baseline's refusals.
 */
function replayEndpointGuards(policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[], scoped: readonly ResolvedGate[], z: number): GateResult[] {
  if (run.load.model !== 'replay') return [];
  const byRoute = new Map<string, GatePair[]>();
  for (const p of pairs) {
    if (p.route === undefined) continue;
    const mine = byRoute.get(p.route);
    if (mine) mine.push(p);
    else byRoute.set(p.route, [p]);
  }
  if (byRoute.size < 2) return [];
  const taken = new Set(scoped.map((g) => g.id));
  // A run whose baseline failed most of all its requests is no reference as a whole, and every gate says so already.
  const refusals = baselineMostlyFailed(pairs) === undefined;
  const out: GateResult[] = [];
  for (const [route, mine] of byRoute) {
    const id = `${policy.guard.id}@route:${route}`;
    if (taken.has(id)) continue;
    const scenario = mine[0]!.scenario;
    const guard: ResolvedGate = { ...policy.guard, id, description: `${policy.guard.description} (endpoint ${route} of the replay; reported when it fails on evidence)`, scenario, route, step: null, onEvidence: true, insufficient: 'inconclusive', minSamples: 1 };
    // Its own pairs only: the scope of a scenario and route is those pairs, never the whole run's.
    const g = evaluateGuard(guard, policy, run, mine, z);
    if (g.status === 'fail') out.push({ ...g, samples: { ...g.samples, min: policy.guard.minSamples }, reason: `${g.reason}: this endpoint's candidate fails more than the margin allows, at the policy's confidence, over ${mine.length} pairs` });
    else if (refusals && refusedByBaseline(mine, z)) {
      // Refused (401/403) by the baseline in most of its requests, at the policy's confidence: the
      // replay's credentials do not reach this endpoint, so its candidate was compared with
      // refusals, however small a share of the capture (test/redteam/replay-endpoint-refused.test.ts).
      const why = baselineMostlyFailed(mine)!;
      out.push({ ...g, status: policy.insufficient === 'fail' ? 'fail' : 'inconclusive', samples: { ...g.samples, min: policy.guard.minSamples }, reason: `${id}: no reference: ${why}` });
    } else {
      const worse = failsWorse(guard, mine, z, policy.confidence);
      if (worse) out.push({ ...g, status: 'fail', samples: { ...g.samples, min: policy.guard.minSamples }, reason: `${id}: ${worse}` });
    }
  }
  return out;
}

/**
 * Why an endpoint's candidate fails worse than its baseline on evidence, or undefined: its server
 * errors and unanswered requests (5xx, refused, reset, timeout) over the baseline's, entirely beyond
 * the guard's margin. The guard counts every failure alike, so an endpoint the baseline answers 404
 * (a path it no longer has) and the candidate 500 on every request failed "as often" on both
 * sides and the replay PASSED (test/redteam/replay-endpoint-fails-worse.test.ts).
 */
function failsWorse(guard: ResolvedGate, pairs: readonly GatePair[], z: number, level: number): string | undefined {
  const k = serverFailedCounts(pairs);
  const n = pairs.length;
  if (k.candidate <= k.baseline) return undefined;
  const t = guard.threshold;
  const interval = newcombeDiff(k.baseline, n, k.candidate, n, z);
  const value = (k.candidate - k.baseline) / n;
  if (judge(t.op, t.limit, value, interval, false) !== 'fail') return undefined;
  return `the candidate failed ${k.candidate} of ${n} requests here with a server error or no answer (5xx, refused, reset, timeout), the baseline ${k.baseline}: candidate − baseline ${formatValue(value * 100, 'pp')}, ${formatInterval({ low: interval.low * 100, high: interval.high * 100, level }, 'pp')} entirely beyond ${t.op} ${formatValue(t.limit * 100, 'pp')}; failing alike on both sides is parity, and a 4xx answered against a 5xx or no answer is not alike`;
}

/** Whether the baseline refused (401/403) most of these requests, shown at the policy's confidence (the Wilson lower bound above one half). */
function refusedByBaseline(pairs: readonly GatePair[], z: number): boolean {
  let k = 0;
  for (const p of pairs) if (p.baseline.outcome === 'http_error' && (p.baseline.status === 401 || p.baseline.status === 403)) k++;
  return k * 2 > pairs.length && wilson(k, pairs.length, z).low > 0.5;
}

/** The pairs a gate reads: its scenario, route or flow step (all pairs when unscoped). */
function pairsIn(g: ResolvedGate, run: RunResult, allPairs: readonly GatePair[]): readonly GatePair[] {
  const scope = scopeOf(g, run);
  const endpoint = endpointOf(g, run);
  const cited = g.citationPrompts === true;
  return scope || endpoint || cited ? allPairs.filter((p) => (!scope || scope.has(p.scenario)) && (!endpoint || endpoint(p)) && (!cited || p.baseline.expectsCitations)) : allPairs;
}

/** Scenarios a gate reads (null = all). */
function scopeOf(g: ResolvedGate, run: RunResult): Set<string> | null {
  if (g.scenario !== null) return new Set([g.scenario]);
  if (g.route !== null) {
    const names = new Set(scenarioRoutes(run).filter((s) => s.route === g.route).map((s) => s.name));
    for (const e of run.endpoints ?? []) if (e.route === g.route) names.add(e.scenario);
    return names;
  }
  return null;
}

/** A route template ("POST /api/lots") rather than a logical route name. */
const ROUTE_TEMPLATE = /^[A-Z]+ \//;

/**
 * Whether a gate's route names endpoints rather than whole scenarios: a route template of
 * request/flow scenarios, or an endpoint of the run under another name (a replayed parity capture
 * summarises its pairs under the capture's route names, `checkout`, in the one scenario `replay`;
 * such a gate read every replayed pair, and a candidate failing every checkout request, 1 in 400
 * of the capture, passed the gate named for checkout: test/redteam/replay-route-name-scope.test.ts).
 */
function namesEndpoint(route: string, run: RunResult): boolean {
  return ROUTE_TEMPLATE.test(route) || (run.endpoints ?? []).some((e) => e.route === route);
}

/** Pairs of one endpoint: a flow step (with its scenario), or a route template of request/flow scenarios (a replay's endpoint). */
function endpointOf(g: ResolvedGate, run: RunResult): ((p: GatePair) => boolean) | null {
  if (g.step !== null) return (p) => p.step === g.step;
  if (g.route !== null && namesEndpoint(g.route, run)) return (p) => p.route === g.route;
  return null;
}

/**
 * The contract step summaries of a per-endpoint gate (steps whose endpoint is the gate's route, or
 * the gate's step). A request scenario's contract step is named for its scenario, a flow's for its
 * step; a replay's endpoints have no step, and `--compare` tallies each as a step named for the
 * endpoint (`GET /api/checkout`, or the capture's route name `checkout`): looked up under the
 * scenario's name, a replay endpoint's drift was "no data" for a `METHOD /path` and every
 * endpoint's drift for a route name, which passed a checkout gate on the other endpoints' clean
 * pairs (test/redteam/replay-endpoint-drift-scope.test.ts).
 */
function contractScope(g: ResolvedGate, run: RunResult): ((c: ContractStepSummary) => boolean) | undefined {
  if (g.step !== null) return (c) => c.step === g.step;
  if (g.route !== null && namesEndpoint(g.route, run)) {
    const replay = run.load.model === 'replay';
    const keys = new Set((run.endpoints ?? []).filter((e) => e.route === g.route).map((e) => `${e.scenario}\u0000${e.step ?? (replay ? e.route : e.scenario)}`));
    return (c) => keys.has(`${c.scenario}\u0000${c.step}`);
  }
  return undefined;
}

/** Scenario → logical route, from the config recorded in run.json. */
export function scenarioRoutes(run: RunResult): { name: string; route: string }[] {
  const scenarios = (run.config as { scenarios?: unknown } | null)?.scenarios;
  if (!Array.isArray(scenarios)) return [];
  return scenarios.filter((s): s is { name: string; route: string } => typeof s?.name === 'string' && typeof s?.route === 'string');
}

function measureValue(m: ValueMetric, g: ResolvedGate, pairs: readonly GatePair[], policy: LoadedPolicy): Measured {
  const b = pairs.map((p) => m.read(p.baseline));
  const c = pairs.map((p) => m.read(p.candidate));
  const bv = b.filter((v): v is number => v !== undefined);
  const cv = c.filter((v): v is number => v !== undefined);
  const ob = percentiles(bv)?.[m.stat] ?? null;
  const oc = percentiles(cv)?.[m.stat] ?? null;
  const opts: BootstrapOptions = { resamples: policy.resamples, seed: policy.seed, level: policy.confidence };
  const method = `paired bootstrap (${policy.resamples} resamples, seed ${policy.seed})`;
  const t = g.threshold;
  const delta = (x: number, y: number) => y - x;
  const ratio = (x: number, y: number) => (x > 0 ? y / x : NaN);
  const measured: Measured = { observed: { baseline: ob, candidate: oc }, samples: { baseline: bv.length, candidate: cv.length }, main: { value: null, interval: null, method, exact: false } };
  if (cv.length === 0 || (t.comparison !== 'absolute' && bv.length === 0)) {
    measured.noData = `no data: no stream gave a ${m.name.split('.')[0]} value`;
    return measured;
  }
  // One side's token counts sent, the other's estimated (one per content event): a ratio or delta of the two compares different units.
  if (t.comparison !== 'absolute' && TOKEN_BASED.includes(m.name.split('.')[0]!)) {
    const mixed = pairs.find((p, i) => b[i] !== undefined && c[i] !== undefined && !p.baseline.tokensEstimated !== !p.candidate.tokensEstimated);
    if (mixed) {
      const [est, cnt] = mixed.baseline.tokensEstimated ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
      measured.noData = `no data: the ${est}'s output tokens are estimated (one per content event: it sent no count) and the ${cnt}'s counted, so ${m.name.split('.')[0]} differs in unit between the sides; have both send a count (profile tokens, OpenAI stream_options.include_usage) or gate it absolutely`;
      return measured;
    }
  }
  // An absolute mean over failed requests (each read as FAILED_MS) shows millions of ms: say what it is made of.
  const kC = m.stat === 'mean' && t.comparison === 'absolute' ? cv.filter((v) => v >= FAILED_MS).length : 0;
  if (kC > 0) measured.note = `the candidate's mean includes ${kC} failed request${kC === 1 ? '' : 's'} of ${cv.length}, each read as 10⁹ ms: it counts failures, not speed (gate ${m.name.split('.')[0]}.p50 or .p95 for speed; failures are gated by error_rate and the failed-requests guard)`;
  if (t.comparison !== 'absolute') {
    const broken = noReference(m, bv, cv, ob, oc, t.comparison);
    if (broken) {
      measured.noData = broken;
      return measured;
    }
    opts.failedAt = FAILED_MS;
  }
  const fn = t.comparison === 'absolute' ? (_: number, y: number) => y : t.comparison === 'ratio' ? ratio : delta;
  const value = t.comparison === 'absolute' ? oc : ob === null || oc === null ? null : fn(ob, oc);
  measured.main = { value: value !== null && Number.isFinite(value) ? value : null, interval: pairedBootstrap(b, c, m.stat, fn, opts), method, exact: false };
  if (t.floor) measured.floor = { value: ob === null || oc === null ? null : oc - ob, interval: pairedBootstrap(b, c, m.stat, delta, opts), method, exact: false };
  return measured;
}

/**
 * Why a ratio or delta of a latency statistic has no reference, or undefined when it has one.
 * `latency.*` and `ttfb.*` read a failed request as FAILED_MS: a baseline whose statistic fell on
 * failed requests (a percentile at FAILED_MS, a mean over one) against a candidate's answer gives
 * candidate/baseline ≈ 0 and candidate − baseline ≈ −10⁹ ms, which would pass any candidate. When
 * both percentiles fell on failed requests the comparison is of failures alike (ratio 1), unless
 * the candidate failed more often: then it is worse where the statistic looks, and not shown
 * within the limit. Two means over failures compare failure counts, never speed: no reference.
 */
function noReference(m: ValueMetric, bv: readonly number[], cv: readonly number[], ob: number | null, oc: number | null, comparison: 'ratio' | 'delta'): string | undefined {
  const kB = bv.filter((v) => v >= FAILED_MS).length;
  const kC = cv.filter((v) => v >= FAILED_MS).length;
  const onFailed = (k: number, v: number | null) => (m.stat === 'mean' ? k > 0 : v !== null && v >= FAILED_MS);
  if (!onFailed(kB, ob)) return undefined;
  const what = comparison === 'ratio' ? 'candidate/baseline' : 'candidate − baseline';
  if (m.stat === 'mean' && kC > 0) {
    return `no reference: both sides' mean includes failed requests (the candidate ${kC} of ${cv.length}, the baseline ${kB} of ${bv.length}; each reads as 10⁹ ms), so ${what} compares their failure counts: a mean over failed requests says nothing about speed; gate a percentile (latency.p50) or look at the failures first`;
  }
  if (!onFailed(kC, oc)) {
    return `no reference: the baseline's ${m.stat} fell on failed requests (${kB} of ${bv.length} failed; a failed request reads as slower than any answer), so ${what} compares the candidate with a failure, not with the baseline's speed; look at the baseline (its errors in the run's summaries) and run again, or gate ${m.name} with an absolute limit`;
  }
  if (kC > kB) {
    return `no reference: both sides' ${m.stat} fell on failed requests and the candidate failed ${kC} of ${cv.length}, the baseline ${kB} of ${bv.length}, so ${what} of two failures hides that the candidate fails more often; look at the baseline (its errors in the run's summaries) and run again, or gate ${m.name} with an absolute limit`;
  }
  return undefined;
}

function measureRate(m: RateMetric, g: ResolvedGate, pairs: readonly GatePair[], z: number): Measured {
  let kB = 0;
  let nB = 0;
  let kC = 0;
  let nC = 0;
  for (const p of pairs) {
    const b = m.read(p.baseline);
    const c = m.read(p.candidate);
    if (b.counted) [nB, kB] = [nB + 1, kB + (b.event ? 1 : 0)];
    if (c.counted) [nC, kC] = [nC + 1, kC + (c.event ? 1 : 0)];
  }
  const pB = nB ? kB / nB : null;
  const pC = nC ? kC / nC : null;
  const measured: Measured = { observed: { baseline: pB, candidate: pC }, samples: { baseline: nB, candidate: nC }, main: { value: null, interval: null, method: '', exact: false } };
  const t = g.threshold;
  if (pC === null || (t.comparison !== 'absolute' && pB === null)) {
    measured.noData = `no data: no stream counts toward ${m.name} (${m.describe})`;
    return measured;
  }
  if (t.comparison === 'absolute') measured.main = { value: pC, interval: wilson(kC, nC, z), method: 'Wilson score', exact: false };
  else if (t.comparison === 'delta') measured.main = { value: pC - pB!, interval: newcombeDiff(kB, nB, kC, nC, z), method: 'Newcombe hybrid score', exact: false };
  else measured.main = { value: pB! > 0 ? pC / pB! : null, interval: moverRatio(kB, nB, kC, nC, z), method: 'MOVER-Wilson ratio', exact: false };
  if (t.floor) measured.floor = { value: pC - pB!, interval: newcombeDiff(kB, nB, kC, nC, z), method: 'Newcombe hybrid score', exact: false };
  return measured;
}

function measureCount(m: CountMetric, run: RunResult, pairs: readonly GatePair[], scope: Set<string> | null, confidence: number, steps?: (c: ContractStepSummary) => boolean): Measured {
  if (m.source === 'streams') {
    const kB = pairs.filter((p) => m.event!(p.baseline)).length;
    const kC = pairs.filter((p) => m.event!(p.candidate)).length;
    const measured: Measured = { observed: { baseline: kB, candidate: kC }, samples: { baseline: pairs.length, candidate: pairs.length }, main: { value: kC, interval: null, method: 'exact count', exact: true } };
    if (pairs.length === 0) measured.noData = scope ? "no data: no paired streams in this gate's scope" : 'no data: the run has no paired streams';
    return measured;
  }
  const r = m.fromRun!(run, scope, steps);
  if (!r) {
    const where =
      m.source === 'contracts'
        ? run.contracts?.length
          ? "no contract results in this gate's scope (run.contracts has none of its scenario, route or step, or only steps some flow runs never sent)"
          : 'no contract results in this run (run.contracts)'
        : m.source === 'sweep'
          ? 'capacity is measured by `parity sweep` across arrival rates, not by one run'
          : 'the load section reports no dropped iterations (run.load.dropped)';
    return { observed: { baseline: null, candidate: null }, samples: { baseline: 0, candidate: 0 }, main: { value: null, interval: null, method: 'exact count', exact: true }, noData: `no data: ${where}` };
  }
  const measured: Measured = { observed: { baseline: r.baseline, candidate: r.candidate }, samples: { baseline: r.samples, candidate: r.samples }, main: { value: r.candidate, interval: null, method: 'exact count', exact: true } };
  const failed = r.baselineFailed !== undefined ? baselineFailedCompared(r.baselineFailed, r.samples) : undefined;
  if (failed) measured.noReference = failed;
  if (r.share !== undefined) measured.note = sampleNote(r.candidate, r.samples, r.share, confidence, m.name.startsWith('contract_drift') ? 'drift' : 'assertion failure');
  return measured;
}

/**
 * What a count over a sample of the pairs says and does not: `contract_drift <= 0` passing on the
 * 5% of pairs diffed found no drift there, which is not "no drift": a candidate drifting in 2% of
 * its pairs shows none in 100 compared pairs one time in eight. The reason says so, with the
 * largest share of drifting pairs such a sample misses at the policy's confidence (one-sided:
 * exact for none seen, 1 − (1 − c)^(1/n); Wilson's bound otherwise), so a reader of a pass knows
 * what it covers; `compare: all` counts every pair.
 */
export function sampleNote(found: number, compared: number, share: number, confidence: number, event: 'drift' | 'assertion failure' = 'drift'): string {
  const pct = (x: number) => `${x >= 0.1 ? (x * 100).toFixed(0) : x >= 0.01 ? (x * 100).toFixed(1) : (x * 100).toFixed(2)}%`;
  const what = `counted over ${compared} compared pair${compared === 1 ? '' : 's'}, a ${pct(share)} sample of the load's pairs (compare)`;
  if (compared === 0) return what;
  const upper = found === 0 ? 1 - (1 - confidence) ** (1 / compared) : wilson(found, compared, normalQuantile(confidence)).high;
  return `${what}: a${event === 'drift' ? '' : 'n'} ${event} rate of up to ${pct(upper)} of the pairs is consistent with it (${pct(confidence)} upper bound); compare: all counts every pair`;
}

function within(op: Op, limit: number, v: number): boolean {
  // Limits like 1.2 or 0.01 are not exact in binary; a value equal to the limit up to rounding counts as equal.
  const eps = 1e-9 * Math.max(1, Math.abs(limit));
  switch (op) {
    case '<=':
      return v <= limit + eps;
    case '<':
      return v < limit - eps;
    case '>=':
      return v >= limit - eps;
    case '>':
      return v > limit + eps;
  }
}

/** Whole interval within → pass; whole interval beyond → fail; otherwise inconclusive. Exact values are judged as they are. */
export function judge(op: Op, limit: number, value: number | null, interval: { low: number; high: number } | null, exact: boolean): Status {
  if (exact) return value === null ? 'inconclusive' : within(op, limit, value) ? 'pass' : 'fail';
  if (!interval) return 'inconclusive';
  const [near, far] = upper(op) ? [interval.high, interval.low] : [interval.low, interval.high];
  if (within(op, limit, near)) return 'pass';
  if (!within(op, limit, far)) return 'fail';
  return 'inconclusive';
}

/** Positive = inside the limit, in the gate's unit. */
export function margin(op: Op, limit: number, value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return upper(op) ? limit - value : value - limit;
}

/** "Ratio or floor": either passing passes; both failing fails (three-valued OR). */
function anyOf(a: Status, b: Status): Status {
  if (a === 'pass' || b === 'pass') return 'pass';
  if (a === 'fail' && b === 'fail') return 'fail';
  return 'inconclusive';
}

function verb(s: Status, exact: boolean): string {
  if (exact) return s === 'pass' ? 'is within' : 'is beyond';
  return s === 'pass' ? 'entirely within' : s === 'fail' ? 'entirely beyond' : 'straddles';
}
