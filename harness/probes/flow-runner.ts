import type { ResolvedFlowScenario } from '../config/flow-scenarios.ts';
import { checkStep, type Failure } from '../contracts/assertions.ts';
import { captureValue } from '../contracts/capture.ts';
import type { CompiledStep } from '../contracts/compile.ts';
import { compareResponses, normalizeResponse, type Observed } from '../contracts/normalize.ts';
import type { SentRequest, StepObservation } from '../contracts/runner.ts';
import type { Generated } from '../contracts/echo.ts';
import type { SideContext } from '../contracts/normalizers.ts';
import type { Outcome, StreamSample } from '../metrics/sample.ts';
import type { LiveTarget } from '../targets/target.ts';
import { RequestProbe, type HttpRequest, type RequestIdentity, type RequestResult } from './request-probe.ts';
import { buildRequest, sameBodyOnEverySide } from './request-template.ts';
import { performance } from 'node:perf_hooks';
import { stampIntended } from './clock.ts';
import { runInTurn } from './send-order.ts';
import { isPlainRequest, judgeStatus, names, pairOf, runRequestPair, varsOf, type FlowRun, type FlowStart } from './request-pair.ts';

/**
 * One iteration of a request or flow scenario under load, paired: step k goes to both targets at
 * the same moment with the same request id, step k+1 only once both answered. Each target keeps
 * its own variables (a token or id captured on one is never sent to the other). A step whose
 * capture finds nothing on either side stops the flow: the later steps are not sent (a DELETE
 * with an empty id must never go out). Each step pair becomes a PairedSample for the run's sinks;
 * a sampled iteration (`compare`) is also diffed under the contract rules.
 *
 * A one-step scenario whose response nobody reads (no capture, check or diff: a plain request
 * scenario's pairs but the compared ones) takes runRequestPair (request-pair.ts), the same
 * iteration without the flow's bookkeeping.
 *
 * Resolves whether the iteration ran to its end; false when interrupted (the step in flight is not a measurement).
 */
export function runFlowIteration(run: FlowRun, scenario: ResolvedFlowScenario, it: FlowStart, compared: boolean, warmup: boolean): Promise<boolean> {
  const first = scenario.flow.steps[0];
  // Not async itself: the plain pair's promise is returned as it is (no extra hop per iteration).
  if (first && isPlainRequest(scenario.flow, first, compared, needsBody(first))) return runRequestPair(run, scenario, it, warmup);
  return runFlow(run, scenario, it, compared, warmup);
}

async function runFlow(run: FlowRun, scenario: ResolvedFlowScenario, it: FlowStart, compared: boolean, warmup: boolean): Promise<boolean> {
  const iteration = it.iteration;
  const flow = scenario.flow;
  // A compared iteration learning noise: the replica on the baseline, its counterweight on the candidate.
  let sides: readonly LiveTarget[] = compared && run.replica && run.counterweight ? [run.targets[0], run.targets[1], run.replica, run.counterweight] : run.targets;
  const vars: Map<string, unknown>[] = [];
  for (let i = 0; i < sides.length; i++) vars.push(varsOf(run.runId, iteration, flow, names[i]!));
  let seen: Map<string, Observed>[] | undefined;
  // Compared iterations: each side's generated values (`{{unique}}`, captures sent back), mapped before the diff (echo.ts).
  const generated: Generated[][] | undefined = compared ? vars.map((v) => [{ name: 'unique', value: v.get('unique') }]) : undefined;
  const bodyFor = readBackSources(flow);
  for (const step of flow.steps) {
    if (run.signal?.aborted) return false;
    const requestId = flow.steps.length === 1 ? `${run.runId}-${iteration}` : `${run.runId}-${iteration}-${step.name}`;
    const route = scenario.routes[step.index]!;
    const keepBody = compared || needsBody(step) || bodyFor.has(step.name);
    // Every probe takes its start before any is sent: the pair shares one moment.
    const t0 = performance.now();
    const requests: HttpRequest[] = [];
    // A body that cannot differ by side is rendered once, for the baseline.
    const sameBody = sameBodyOnEverySide(flow, step);
    const probes: RequestProbe[] = [];
    const each = { run, scenario, step, it, requestId, route, keepBody, sameBody, requests };
    for (let i = 0; i < 2; i++) probes.push(stepProbe(each, sides[i]!, i, vars[i]!, t0));
    // Whoever is sent first goes out first: alternate by iteration (send-order.ts).
    const pending = runInTurn(iteration, 2, (i) => probes[i]!.run(sides[i]!.pool));
    const results: RequestResult[] = [];
    for (let i = 0; i < pending.length; i++) results.push(await pending[i]!);
    // The noise replica's request goes once the pair has answered. Sent in the pair's tick, to the
    // baseline's server, it ran beside the baseline's request of every compared pair (the
    // candidate's ran alone): on a backend sharing its CPU between requests the baseline read twice
    // as slow, and a candidate 1.7x slower passed latency.p50 <= 1.3x baseline.
    // Its counterweight goes to the candidate at the same moment: the replica alone doubled the
    // baseline's load (compare: all), whose latency near saturation grew with it, and a candidate
    // 2x slower per request read 1.15x and passed latency.p50 <= 1.25x baseline
    // (noise-replica-load.test.ts).
    if (sides.length > 2 && !results.some((r) => r.aborted)) {
      const at = performance.now();
      for (let i = 2; i < sides.length; i++) probes.push(stepProbe(each, sides[i]!, i, vars[i]!, at));
      // Two copies (a replica never goes without its counterweight), in turn as the pair's two.
      const copies = runInTurn(iteration, 2, (k) => probes[2 + k]!.run(sides[2 + k]!.pool));
      for (let k = 0; k < copies.length; k++) results.push(await copies[k]!);
    }
    if (results.some((r) => r.aborted)) return false;
    if (it.intendedAt !== undefined) {
      // Coordinated omission: the first step counts from the iteration's intended start; a later
      // one from the moment it was due (its probes made, right after the step before). A probe's
      // clock starts when its request gets a connection, so without this a later step's wait for a
      // free connection, or its TCP (and TLS) connect, counted nowhere: a candidate that closes
      // every connection paid a fresh connect on each later step and its latency never showed it.
      const from = step.index === 0 ? it.intendedAt : t0;
      for (let i = 0; i < 2; i++) stampIntended(results[i]!.sample, probes[i]!.t0, from);
    }
    if (!keepBody) {
      // Nothing reads the response but its status: no parsing, no checks to run (the fast path of a plain request scenario).
      for (let i = 0; i < 2; i++) judgeStatus(results[i]!.sample, step);
      run.onPair(pairOf(results[0]!.sample, results[1]!.sample, requestId, scenario.name, iteration, route), warmup);
      continue;
    }
    seen ??= sides.map(() => new Map<string, Observed>());
    let stop = false;
    let replicaLeaves = false;
    const observed: Observed[] = [];
    const failures: Failure[][] = [];
    const before = generated?.map((g) => g.slice());
    for (let i = 0; i < sides.length; i++) {
      const r = results[i]!;
      const o = normalizeResponse({ status: r.sample.status ?? null, headers: r.headers, bodyText: r.bodyText, durationMs: r.sample.endMs, ...(r.sample.error && r.sample.outcome !== 'http_error' ? { error: r.sample.error } : {}) });
      const missing = capture(step, o, vars[i]!);
      if (generated) for (const c of step.captures) if (!missing.some((m) => m.check === `capture ${c.name}`)) generated[i]!.push({ name: c.name, value: vars[i]!.get(c.name) });
      const fails = r.sample.status === undefined ? [] : await checkStep(step, o, vars[i]!, seen[i]!);
      seen[i]!.set(step.name, o);
      observed.push(o);
      failures.push([...missing, ...fails]);
      // A side without its capture sends no later step (never an empty id). The noise replica only
      // measures noise: when its capture fails it leaves the flow, and the pair goes on. It stopped
      // the pair's flow too, so a baseline refusing the replica's second write (a lot code that is
      // not unique per side) kept every later step from the candidate, whose failures there passed.
      // The replica and its counterweight leave together, whichever failed: one going on alone
      // would load one target more than the other again.
      if (missing.length) {
        if (i < 2) stop = true;
        else replicaLeaves = true;
      }
      if (i < 2) judgeOutcome(r.sample, step, missing, fails);
    }
    run.onPair(pairOf(results[0]!.sample, results[1]!.sample, requestId, scenario.name, iteration, route), warmup);
    if (compared && run.onCompared) {
      const opts = { headers: run.comparedHeaders, rules: step.rules, body: true };
      // Echo-aware, as contract flows: each side's own `{{unique}}` and earlier captures map to one placeholder,
      // so an echoed field is compared (never learned as noise because the replica's unique differs).
      const side: SideContext[] = sides.map((t, i) => ({ baseUrl: t.config.baseUrl, generated: before![i] }));
      const diffs = compareResponses(observed[0]!, observed[1]!, { ...opts, sides: { a: side[0]!, b: side[1]! } });
      const noise = observed[2] ? compareResponses(observed[0]!, observed[2], { ...opts, sides: { a: side[0]!, b: side[2]! } }) : undefined;
      const obs: StepObservation = {
        flow,
        step,
        iteration,
        requestId,
        requests: { baseline: sent(requests[0]!, sides[0]!), candidate: sent(requests[1]!, sides[1]!) },
        responses: { baseline: observed[0]!, candidate: observed[1]! },
        failures: { baseline: failures[0]!, candidate: failures[1]! },
      };
      run.onCompared(obs, diffs, noise);
    }
    if (stop) return true;
    if (replicaLeaves) sides = run.targets;
  }
  return true;
}

/**
 * Side i's probe for a step, its request built and kept in `requests` (in side order: a body the
 * same on every side is the baseline's). A module function, not a closure made per step: the
 * harness runs on tsx, whose esbuild keeps names, at a defineProperty per closure made.
 */
function stepProbe(
  each: { run: FlowRun; scenario: ResolvedFlowScenario; step: CompiledStep; it: FlowStart; requestId: string; route: string; keepBody: boolean; sameBody: boolean; requests: HttpRequest[] },
  t: LiveTarget,
  i: number,
  vars: Map<string, unknown>,
  at: number,
): RequestProbe {
  const { run, scenario, step, it, requestId, route, requests } = each;
  const role = i === 2 ? 'baseline' : i === 3 ? 'candidate' : t.config.role;
  const req = buildRequest(step, t, role, vars, run.requestIdHeader, requestId, i > 0 && each.sameBody ? requests[0]!.body : undefined);
  requests.push(req);
  const id: RequestIdentity = { target: t.config.name, role, scenario: scenario.name, requestId, iteration: it.iteration, vu: it.vu, route };
  if (scenario.type === 'flow') id.step = step.name;
  return new RequestProbe(id, req, run.timeouts, each.keepBody, run.signal, at);
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
  if (missing.length) failSample(s, 'capture_failed', missing);
  else if (fails.length) failSample(s, 'assertion_failed', fails);
}

/** A module function, not a closure per call: under tsx (esbuild keeping names) each closure made costs a defineProperty. */
function failSample(s: StreamSample, outcome: Outcome, list: Failure[]): void {
  s.outcome = outcome;
  s.error = { code: outcome === 'capture_failed' ? 'PARITY_CAPTURE_FAILED' : 'PARITY_ASSERTION_FAILED', message: list.map((x) => x.message).join('; ').slice(0, 300) };
}

/** Stores this side's captures; each that finds nothing is returned as a failure. */
function capture(step: CompiledStep, o: Observed, vars: Map<string, unknown>): Failure[] {
  const fails: Failure[] = [];
  for (const c of step.captures) {
    const v = captureValue(c, o);
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

const origins = new WeakMap<LiveTarget, string>();

function sent(req: HttpRequest, target: LiveTarget): SentRequest {
  let origin = origins.get(target);
  // Parsed once per target: a URL parse per compared request was most of this function's cost.
  if (origin === undefined) origins.set(target, (origin = new URL(target.config.baseUrl).origin));
  return { method: req.method, url: origin + req.path, path: req.path, headers: req.headers, body: req.body };
}

export type { RequestResult };
