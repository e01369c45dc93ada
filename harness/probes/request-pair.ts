import type { ResolvedFlowScenario } from '../config/flow-scenarios.ts';
import type { TimeoutsConfig } from '../config/schema.ts';
import type { CompiledStep } from '../contracts/compile.ts';
import type { StepObservation } from '../contracts/runner.ts';
import { renderValue, type Vars } from '../contracts/template.ts';
import type { Difference } from '../run/result.ts';
import type { PairedSample, StreamSample } from '../metrics/sample.ts';
import type { LiveTarget } from '../targets/target.ts';
import { performance } from 'node:perf_hooks';
import { stampIntended } from './clock.ts';
import { RequestProbe, type RequestIdentity, type RequestResult } from './request-probe.ts';
import { buildRequest, sameBodyOnEverySide } from './request-template.ts';

/**
 * What every request and flow iteration of a shard shares (targets, limits, where pairs go), made
 * once: an iteration allocates no callbacks of its own. And the request scenario's iteration in
 * its plainest form, the one a load test runs most: one step, nothing read of the response but
 * its status (not a compared pair, no capture or check), so no flow bookkeeping (per-side arrays,
 * variable maps when the flow has no vars of its own) between the load model and the two probes.
 */
export interface FlowRun {
  /** Baseline, candidate. */
  targets: readonly [LiveTarget, LiveTarget];
  /** The noise replica (the baseline again, with its own variables), for a compared iteration with noise learning. */
  replica?: LiveTarget | undefined;
  /**
   * The replica's counterpart on the candidate (its own pool and variables): every request the
   * replica sends the baseline, it sends the candidate at the same moment, and its answer only
   * carries its flow on (never measured, compared or judged). Both targets carry the same load.
   * Given whenever `replica` is.
   */
  counterweight?: LiveTarget | undefined;
  runId: string;
  requestIdHeader: string;
  timeouts: TimeoutsConfig;
  /** Response headers compared in a diff. */
  comparedHeaders: readonly string[];
  signal?: AbortSignal | undefined;
  /** Each step pair, as it completes; `warmup` is the iteration's, as given. */
  onPair(pair: PairedSample, warmup: boolean): void;
  onCompared?: ((obs: StepObservation, diffs: Difference[], noise: Difference[] | undefined) => void) | undefined;
}

/** The iteration to run: what the load model started, and what the shard decided about it. */
export interface FlowStart {
  iteration: number;
  vu: number;
  /**
   * performance.now() the load model meant the iteration to start at: the first step's samples
   * count their dispatch lag from it and carry it (as epoch ms) as their intended start.
   */
  intendedAt?: number | undefined;
}

/** Side names, by index: baseline, candidate, the noise replica, its counterweight on the candidate. */
export const names = ['baseline', 'candidate', 'replica', 'counterweight'] as const;

/** Each side's `{{unique}}` ends in its own letter (the counterweight's cannot be the candidate's "c": one server gets both). */
const UNIQUE_SUFFIX = { baseline: 'b', candidate: 'c', replica: 'r', counterweight: 'w' } as const;


/** One side's variables at the start of an iteration: the built-ins, then the flow's own (which may use them). */
export function varsOf(runId: string, iteration: number, flow: ResolvedFlowScenario['flow'], side: (typeof names)[number]): Map<string, unknown> {
  // set() by set(): Map's constructor walks an iterable of entry arrays, several times the cost.
  const vars = new Map<string, unknown>();
  vars.set('run_id', runId);
  vars.set('iteration', iteration);
  vars.set('flow', flow.name);
  vars.set('unique', `${runId}-${iteration}-${UNIQUE_SUFFIX[side]}`);
  for (const k in flow.vars) vars.set(k, renderValue(flow.vars[k], vars));
  return vars;
}

/**
 * The built-in variables of one side, for a flow with no vars of its own whose step captures
 * nothing: what templates read (`has`, `get`) without a Map per side per iteration. Only for
 * templates: the flow path (captures, checks) keeps its Maps.
 */
class BuiltinVars {
  constructor(
    private readonly runId: string,
    private readonly iteration: number,
    private readonly flow: string,
    private readonly side: string,
  ) {}

  has(name: string): boolean {
    return name === 'run_id' || name === 'iteration' || name === 'flow' || name === 'unique';
  }

  get(name: string): unknown {
    switch (name) {
      case 'run_id':
        return this.runId;
      case 'iteration':
        return this.iteration;
      case 'flow':
        return this.flow;
      case 'unique':
        return `${this.runId}-${this.iteration}-${this.side}`;
      default:
        return undefined;
    }
  }
}

/** Whether a flow has vars of its own (without the array Object.keys would make per iteration). */
function hasOwnVars(vars: Record<string, unknown>): boolean {
  for (const _ in vars) return true;
  return false;
}

/** Whether runRequestPair can run this step: one step, and nothing reads its response but the status. */
export function isPlainRequest(flow: ResolvedFlowScenario['flow'], step: CompiledStep, compared: boolean, needsBody: boolean): boolean {
  return !compared && !needsBody && flow.steps.length === 1 && step.captures.length === 0;
}

/**
 * A one-step iteration nobody reads the response of: both requests built from their templates,
 * both probes started at one moment and sent, the pair judged on status and handed to the run.
 * Exactly what runFlowIteration does for such a step (same requests, ids, samples, outcomes).
 * One promise per pair, settled by whichever probe finishes second (no promise or await per
 * request); an error in the run's sinks rejects it, as it would an async iteration.
 */
export function runRequestPair(run: FlowRun, scenario: ResolvedFlowScenario, it: FlowStart, warmup: boolean): Promise<boolean> {
  if (run.signal?.aborted) return Promise.resolve(false);
  const flow = scenario.flow;
  const step = flow.steps[0]!;
  const iteration = it.iteration;
  const [tb, tc] = run.targets;
  const plain = !hasOwnVars(flow.vars);
  const vb: Vars = plain ? (new BuiltinVars(run.runId, iteration, flow.name, 'b') as unknown as Vars) : varsOf(run.runId, iteration, flow, 'baseline');
  const vc: Vars = plain ? (new BuiltinVars(run.runId, iteration, flow.name, 'c') as unknown as Vars) : varsOf(run.runId, iteration, flow, 'candidate');
  const requestId = `${run.runId}-${iteration}`;
  const route = scenario.routes[0]!;
  const t0 = performance.now();
  const rb = buildRequest(step, tb, 'baseline', vb, run.requestIdHeader, requestId);
  const rc = buildRequest(step, tc, 'candidate', vc, run.requestIdHeader, requestId, sameBodyOnEverySide(flow, step) ? rb.body : undefined);
  const idb: RequestIdentity = { target: tb.config.name, role: tb.config.role, scenario: scenario.name, requestId, iteration, vu: it.vu, route };
  const idc: RequestIdentity = { target: tc.config.name, role: tc.config.role, scenario: scenario.name, requestId, iteration, vu: it.vu, route };
  if (scenario.type === 'flow') idb.step = idc.step = step.name;
  const pb = new RequestProbe(idb, rb, run.timeouts, false, run.signal, t0);
  const pc = new RequestProbe(idc, rc, run.timeouts, false, run.signal, t0);
  return new Promise<boolean>((resolve, reject) => {
    const pair = new PairInFlight(run, scenario.name, step, it, warmup, requestId, route, pb, pc, resolve, reject);
    // Whoever is sent first goes out first: alternate (send-order.ts).
    if (iteration % 2 === 0) {
      pb.send(tb.pool, (r) => pair.settle(0, r));
      pc.send(tc.pool, (r) => pair.settle(1, r));
    } else {
      pc.send(tc.pool, (r) => pair.settle(1, r));
      pb.send(tb.pool, (r) => pair.settle(0, r));
    }
  });
}

/**
 * A plain pair waiting for its two results: the second to come judges the pair and settles the
 * iteration's promise. A class, not closures: nothing is allocated per pair but this object.
 */
class PairInFlight {
  private b: RequestResult | undefined;
  private c: RequestResult | undefined;

  constructor(
    private readonly run: FlowRun,
    private readonly scenario: string,
    private readonly step: CompiledStep,
    private readonly it: FlowStart,
    private readonly warmup: boolean,
    private readonly requestId: string,
    private readonly route: string,
    private readonly pb: RequestProbe,
    private readonly pc: RequestProbe,
    private readonly resolve: (ran: boolean) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  settle(side: 0 | 1, r: RequestResult): void {
    if (side === 0) this.b = r;
    else this.c = r;
    const { b, c } = this;
    if (!b || !c) return;
    try {
      if (b.aborted || c.aborted) {
        this.resolve(false);
        return;
      }
      const intendedAt = this.it.intendedAt;
      if (intendedAt !== undefined) {
        // Coordinated omission: the first step counts from the iteration's intended start.
        stampIntended(b.sample, this.pb.t0, intendedAt);
        stampIntended(c.sample, this.pc.t0, intendedAt);
      }
      judgeStatus(b.sample, this.step);
      judgeStatus(c.sample, this.step);
      this.run.onPair(pairOf(b.sample, c.sample, this.requestId, this.scenario, this.it.iteration, this.route), this.warmup);
      this.resolve(true);
    } catch (err) {
      this.reject(err);
    }
  }
}


export function pairOf(b: StreamSample, c: StreamSample, requestId: string, scenario: string, iteration: number, route: string): PairedSample {
  return b.step !== undefined ? { requestId, scenario, iteration, step: b.step, route, baseline: b, candidate: c } : { requestId, scenario, iteration, route, baseline: b, candidate: c };
}

/** A step whose body nobody reads: only the expected status is checked. */
export function judgeStatus(s: StreamSample, step: CompiledStep): void {
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

