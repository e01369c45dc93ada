import type { ResolvedFlowScenario } from '../config/flow-scenarios.ts';
import type { TimeoutsConfig } from '../config/schema.ts';
import { checkStep, type Failure } from '../contracts/assertions.ts';
import type { CompiledStep } from '../contracts/compile.ts';
import { compareResponses, normalizeResponse, type Observed } from '../contracts/normalize.ts';
import type { SentRequest, StepObservation } from '../contracts/runner.ts';
import { renderString, renderValue } from '../contracts/template.ts';
import type { Difference } from '../run/result.ts';
import type { Outcome, PairedSample, StreamSample } from '../metrics/sample.ts';
import type { LiveTarget } from '../targets/target.ts';
import { RequestProbe, type HttpRequest, type RequestResult } from './request-probe.ts';

/**
 * One iteration of a request or flow scenario under load, paired: step k goes to both targets at
 * the same moment with the same request id, step k+1 only once both answered. Each target keeps
 * its own variables (a token or id captured on one is never sent to the other). A step whose
 * capture finds nothing on either side stops the flow: the later steps are not sent (a DELETE
 * with an empty id must never go out). Each step pair becomes a PairedSample for the run's sinks;
 * a sampled iteration (`compare`) is also diffed under the contract rules.
 */
export interface FlowIteration {
  scenario: ResolvedFlowScenario;
  /** Baseline, candidate. */
  targets: readonly [LiveTarget, LiveTarget];
  /** The noise replica (the baseline again, with its own variables), for a compared iteration with noise learning. */
  replica?: LiveTarget | undefined;
  runId: string;
  iteration: number;
  vu: number;
  requestIdHeader: string;
  timeouts: TimeoutsConfig;
  /** Diff this iteration's pairs (the scenario's `compare` sample picked it). */
  compared: boolean;
  /** Response headers compared in a diff. */
  comparedHeaders: readonly string[];
  signal?: AbortSignal | undefined;
  /** Called as both requests of step 0 are ready: the pair's probes, so the caller can stamp intended start and lag. */
  onFirstStep?: (probes: readonly RequestProbe[]) => void;
  onPair(pair: PairedSample): void;
  onCompared?: (obs: StepObservation, diffs: Difference[], noise: Difference[] | undefined) => void;
}

/** Whether the iteration ran to its end; false when interrupted (the step in flight is not a measurement). */
export async function runFlowIteration(f: FlowIteration): Promise<boolean> {
  const { scenario, iteration } = f;
  const flow = scenario.flow;
  const sides = [f.targets[0], f.targets[1], ...(f.compared && f.replica ? [f.replica] : [])];
  const names = ['baseline', 'candidate', 'replica'] as const;
  const state = sides.map((_, i) => {
    const vars = new Map<string, unknown>([
      ['run_id', f.runId],
      ['iteration', iteration],
      ['flow', flow.name],
      ['unique', `${f.runId}-${iteration}-${names[i]![0]}`],
    ]);
    for (const [k, v] of Object.entries(flow.vars)) vars.set(k, renderValue(v, vars));
    return { vars, seen: new Map<string, Observed>() };
  });
  const bodyFor = readBackSources(flow);
  for (const step of flow.steps) {
    if (f.signal?.aborted) return false;
    const requestId = flow.steps.length === 1 ? `${f.runId}-${iteration}` : `${f.runId}-${iteration}-${step.name}`;
    const route = scenario.routes[step.index]!;
    const keepBody = f.compared || needsBody(step) || bodyFor.has(step.name);
    const requests = sides.map((t, i) => buildRequest(step, t, i === 2 ? 'baseline' : t.config.role, state[i]!.vars, f.requestIdHeader, requestId));
    // Every probe takes its start before any is sent: the pair shares one moment.
    const probes = sides.map(
      (t, i) =>
        new RequestProbe(
          { target: t.config.name, role: i === 2 ? 'baseline' : t.config.role, scenario: scenario.name, requestId, iteration, vu: f.vu, route, ...(scenario.type === 'flow' ? { step: step.name } : {}) },
          requests[i]!,
          f.timeouts,
          keepBody,
          f.signal,
        ),
    );
    if (step.index === 0) f.onFirstStep?.(probes);
    const results = await Promise.all(probes.map((p, i) => p.run(sides[i]!.pool)));
    if (results.some((r) => r.aborted)) return false;
    let stop = false;
    const observed: Observed[] = [];
    const failures: Failure[][] = [];
    if (!keepBody) {
      // Nothing reads the response but its status: no parsing, no checks to run (the fast path of a plain request scenario).
      for (let i = 0; i < 2; i++) judgeStatus(results[i]!.sample, step);
      f.onPair(pairOf(results[0]!.sample, results[1]!.sample, requestId, scenario.name, iteration, route));
      continue;
    }
    for (let i = 0; i < sides.length; i++) {
      const r = results[i]!;
      const o = normalizeResponse({ status: r.sample.status ?? null, headers: r.headers, bodyText: r.bodyText, durationMs: r.sample.endMs, ...(r.sample.error && r.sample.outcome !== 'http_error' ? { error: r.sample.error } : {}) });
      const { vars, seen } = state[i]!;
      const missing = capture(step, o, vars);
      const fails = r.sample.status === undefined ? [] : await checkStep(step, o, vars, seen);
      seen.set(step.name, o);
      observed.push(o);
      failures.push([...missing, ...fails]);
      if (missing.length) stop = true;
      if (i < 2) judgeOutcome(r.sample, step, missing, fails);
    }
    f.onPair(pairOf(results[0]!.sample, results[1]!.sample, requestId, scenario.name, iteration, route));
    if (f.compared && f.onCompared) {
      const opts = { headers: f.comparedHeaders, rules: step.rules, body: true };
      const diffs = compareResponses(observed[0]!, observed[1]!, opts);
      const noise = observed[2] ? compareResponses(observed[0]!, observed[2], opts) : undefined;
      const obs: StepObservation = {
        flow,
        step,
        iteration,
        requestId,
        requests: { baseline: sent(requests[0]!, sides[0]!), candidate: sent(requests[1]!, sides[1]!) },
        responses: { baseline: observed[0]!, candidate: observed[1]! },
        failures: { baseline: failures[0]!, candidate: failures[1]! },
      };
      f.onCompared(obs, diffs, noise);
    }
    if (stop) return true;
  }
  return true;
}

function pairOf(b: StreamSample, c: StreamSample, requestId: string, scenario: string, iteration: number, route: string): PairedSample {
  return b.step !== undefined ? { requestId, scenario, iteration, step: b.step, route, baseline: b, candidate: c } : { requestId, scenario, iteration, route, baseline: b, candidate: c };
}

/** A step whose body nobody reads: only the expected status is checked. */
function judgeStatus(s: StreamSample, step: CompiledStep): void {
  const expected = step.expect.status;
  if (!expected || s.status === undefined) return;
  if (expected.includes(s.status)) {
    if (s.outcome === 'http_error') {
      s.outcome = 'ok';
      delete s.error;
      s.completionMs = s.endMs;
    }
  } else if (s.outcome === 'ok') {
    s.outcome = 'assertion_failed';
    s.error = { code: 'PARITY_ASSERTION_FAILED', message: `status ${s.status}, expected ${expected.join(' or ')}` };
  }
}

/**
 * The outcome of one side's step: a transport failure or an HTTP error stays what it is (unless
 * the step expects that status: a negative case answering 404 as asked is `ok`), then a capture
 * that found nothing (`capture_failed`), then any failed check (`assertion_failed`).
 */
function judgeOutcome(s: StreamSample, step: CompiledStep, missing: Failure[], fails: Failure[]): void {
  const expected = step.expect.status;
  if (s.outcome === 'http_error' && expected?.includes(s.status!)) {
    s.outcome = 'ok';
    delete s.error;
    s.completionMs = s.endMs;
  }
  if (s.outcome !== 'ok') return;
  const set = (outcome: Outcome, list: Failure[]) => {
    s.outcome = outcome;
    s.error = { code: outcome === 'capture_failed' ? 'PARITY_CAPTURE_FAILED' : 'PARITY_ASSERTION_FAILED', message: list.map((x) => x.message).join('; ').slice(0, 300) };
  };
  if (missing.length) set('capture_failed', missing);
  else if (fails.length) set('assertion_failed', fails);
}

/** Stores this side's captures; each that finds nothing is returned as a failure. */
function capture(step: CompiledStep, o: Observed, vars: Map<string, unknown>): Failure[] {
  const fails: Failure[] = [];
  for (const c of step.captures) {
    const v = c.header !== undefined ? o.headers[c.header] : o.json ? c.path!.get(o.body) : undefined;
    if (v === undefined || v === null || v === '') {
      fails.push({ check: `capture ${c.name}`, message: `capture ${c.name}: ${c.header !== undefined ? `header ${c.header}` : c.path!.source} not found in the response (status ${o.status ?? 'none'})` });
      continue;
    }
    vars.set(c.name, v);
    vars.set(`${step.name}.${c.name}`, v);
  }
  return fails;
}

function needsBody(step: CompiledStep): boolean {
  const e = step.expect;
  // Every check runs on every iteration, compared or not: a body a check reads is always kept.
  return step.captures.length > 0 || step.readBack !== undefined || e.json || e.schema !== undefined || e.values.length > 0 || e.contains.length > 0 || e.matches.length > 0;
}

const readBacks = new WeakMap<object, Set<string>>();
/** Steps a later step reads back: their bodies are kept. Worked out once per flow. */
function readBackSources(flow: { steps: readonly CompiledStep[] }): Set<string> {
  let set = readBacks.get(flow);
  if (!set) readBacks.set(flow, (set = new Set(flow.steps.flatMap((s) => (s.readBack ? [s.readBack.step] : [])))));
  return set;
}

const prefixes = new WeakMap<object, string>();
/** The base URL's path prefix of a target ("" or "/api"), parsed once per target. */
function prefixOf(target: LiveTarget): string {
  let p = prefixes.get(target);
  if (p === undefined) prefixes.set(target, (p = new URL(target.config.baseUrl).pathname.replace(/\/+$/, '')));
  return p;
}

function buildRequest(step: CompiledStep, target: LiveTarget, routes: 'baseline' | 'candidate', vars: Map<string, unknown>, requestIdHeader: string, requestId: string): HttpRequest {
  const route = step.routes[routes];
  const prefix = prefixOf(target);
  const headers: Record<string, string> = { ...target.config.headers };
  for (const [k, v] of Object.entries(step.headers)) headers[k] = renderString(v, vars);
  let body: string | undefined;
  if (typeof step.body === 'string') {
    body = renderString(step.body, vars);
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (step.body !== undefined) {
    body = JSON.stringify(renderValue(step.body, vars));
    headers['content-type'] ??= 'application/json';
  }
  headers.accept ??= 'application/json';
  headers[requestIdHeader] = requestId;
  return { method: route.method, path: prefix + renderString(route.path, vars, encodeURIComponent), headers, body };
}

function sent(req: HttpRequest, target: LiveTarget): SentRequest {
  return { method: req.method, url: new URL(target.config.baseUrl).origin + req.path, path: req.path, headers: req.headers, body: req.body };
}

export type { RequestResult };
