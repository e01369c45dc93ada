import type { TimeoutsConfig } from '../config/schema.ts';
import { probeContract } from '../probes/contract-probe.ts';
import { probeStream } from '../probes/stream-probe.ts';
import { openTarget, type LiveTarget } from '../targets/target.ts';
import { checkStep, type Failure } from './assertions.ts';
import type { CompiledFlow, CompiledStep, ContractPlan, TargetRole } from './compile.ts';
import { normalizeResponse, type Observed, type RawResponse } from './normalize.ts';
import type { ReproducibleRequest } from './redact.ts';
import { capture } from './capture.ts';
import type { Generated } from './echo.ts';
import { renderString, renderValue } from './template.ts';

/**
 * Runs contract flows. A flow runs on every "side" at once (baseline, candidate, and the noise
 * replica when noise learning is on), step by step: step k goes to every side in the same tick,
 * and step k+1 only once every side has answered step k. Each side keeps its own variables, so a
 * token captured on one target is never sent to another.
 */
export type SideName = 'baseline' | 'candidate' | 'replica';

export interface Side {
  name: SideName;
  target: LiveTarget;
  /** Whose route map this side uses (the replica is a copy of the baseline). */
  routes: TargetRole;
}

export interface SentRequest extends ReproducibleRequest {
  path: string;
}

/** One step of one flow run, observed on every side. */
export interface StepObservation {
  flow: CompiledFlow;
  step: CompiledStep;
  iteration: number;
  requestId: string;
  requests: Partial<Record<SideName, SentRequest>>;
  responses: Partial<Record<SideName, Observed>>;
  failures: Partial<Record<SideName, Failure[]>>;
  /** Values generated for each side before this step: `{{unique}}` and earlier captures (see echo.ts). */
  generated?: Partial<Record<SideName, Generated[]>>;
}

/** A step not sent in one flow run because a side's capture failed at an earlier step. */
export interface SkippedStep {
  flow: CompiledFlow;
  step: CompiledStep;
  iteration: number;
  /** The side whose capture failed. */
  side: SideName;
  capture: string;
}

export interface FlowRunOptions {
  runId: string;
  requestIdHeader: string;
  timeouts: TimeoutsConfig;
  signal?: AbortSignal;
  /** Sides for a flow (noise learning adds the replica per flow). */
  sides(flow: CompiledFlow): Side[];
  onStep(obs: StepObservation): void;
  /** Each step of a flow run left unsent after a failed capture. */
  onSkip?(skipped: SkippedStep): void;
}

export async function runFlows(plan: ContractPlan, opts: FlowRunOptions): Promise<void> {
  const tasks = plan.flows.flatMap((flow, fi) => Array.from({ length: flow.repeat }, (_, iteration) => ({ flow, fi, iteration })));
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !opts.signal?.aborted) {
      const t = tasks[next++]!;
      await runFlowOnce(t.flow, t.fi, t.iteration, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, tasks.length) }, worker));
}

export interface ContractRunContext {
  runId: string;
  requestIdHeader: string;
  signal?: AbortSignal | undefined;
}

/** A copy of a target at another URL (a second baseline for noise learning). */
export type ReplicaAt = (of: LiveTarget, url: string) => LiveTarget;

/** runFlows, with replica targets opened on demand (once per URL) and closed at the end. */
export async function runContractFlows(
  plan: ContractPlan,
  ctx: ContractRunContext,
  sides: (flow: CompiledFlow, replicaAt: ReplicaAt) => Side[],
  onStep: (obs: StepObservation) => void,
  onSkip?: (skipped: SkippedStep) => void,
): Promise<void> {
  const replicas = new Map<string, LiveTarget>();
  const replicaAt: ReplicaAt = (of, url) => {
    let t = replicas.get(url);
    if (!t) {
      t = openTarget({ ...of.config, name: `${of.config.name}#2`, baseUrl: url }, plan.timeouts);
      replicas.set(url, t);
    }
    return t;
  };
  try {
    const opts: FlowRunOptions = { ...ctx, timeouts: plan.timeouts, sides: (flow) => sides(flow, replicaAt), onStep };
    if (onSkip) opts.onSkip = onSkip;
    await runFlows(plan, opts);
  } finally {
    await Promise.all([...replicas.values()].map((t) => t.close())).catch(() => undefined);
  }
}

/**
 * One run of a flow on every side. A capture that finds nothing stops the flow run on every side:
 * the steps after it are reported through `onSkip` and never sent (a request with an empty id or
 * token would only measure the harness's mistake).
 */
export async function runFlowOnce(flow: CompiledFlow, fi: number, iteration: number, opts: FlowRunOptions): Promise<void> {
  const sides = opts.sides(flow);
  const state = sides.map((side) => {
    const unique = `${opts.runId}-${fi}-${iteration}-${side.name[0]}`;
    const vars = new Map<string, unknown>([
      ['run_id', opts.runId],
      ['iteration', iteration],
      ['flow', flow.name],
      ['unique', unique],
    ]);
    for (const [k, v] of Object.entries(flow.vars)) vars.set(k, renderValue(v, vars));
    return { side, vars, seen: new Map<string, Observed>(), generated: [{ name: 'unique', value: unique }] as Generated[] };
  });
  for (const [si, step] of flow.steps.entries()) {
    if (opts.signal?.aborted) return;
    const requestId = `${opts.runId}-${flow.name}-${iteration}-${step.name}`;
    const generated: NonNullable<StepObservation['generated']> = {};
    const obs: StepObservation = { flow, step, iteration, requestId, requests: {}, responses: {}, failures: {}, generated };
    const failedCaptures: { side: SideName; capture: string }[] = [];
    await Promise.all(
      state.map(async (st) => {
        const { side, vars, seen } = st;
        generated[side.name] = st.generated.slice();
        const req = buildRequest(step, side, vars, opts.requestIdHeader, requestId);
        const raw = await send(step, side.target, req, requestId, opts.timeouts, opts.signal);
        const o = normalizeResponse(raw);
        const { failures, captured } = capture(step, o, vars);
        for (const f of failures) failedCaptures.push({ side: side.name, capture: f.capture });
        // From the next step on, a captured value sent back is this side's own (echo mapping).
        for (const [name, value] of captured) st.generated.push({ name, value });
        const checks = failures.map(({ check, message }) => ({ check, message }));
        checks.push(...(await checkStep(step, o, vars, seen)));
        seen.set(step.name, o);
        obs.requests[side.name] = req;
        obs.responses[side.name] = o;
        obs.failures[side.name] = checks;
      }),
    );
    if (opts.signal?.aborted) return;
    opts.onStep(obs);
    const failed = failedCaptures[0];
    if (failed) {
      for (const later of flow.steps.slice(si + 1)) opts.onSkip?.({ flow, step: later, iteration, side: failed.side, capture: failed.capture });
      return;
    }
  }
}

function buildRequest(step: CompiledStep, side: Side, vars: Map<string, unknown>, requestIdHeader: string, requestId: string): SentRequest {
  const route = step.routes[side.routes];
  const base = new URL(side.target.config.baseUrl);
  const path = base.pathname.replace(/\/+$/, '') + renderString(route.path, vars, encodeURIComponent);
  const headers: Record<string, string> = { ...side.target.config.headers };
  for (const [k, v] of Object.entries(step.headers)) headers[k] = renderString(v, vars);
  const body = step.body === undefined ? undefined : JSON.stringify(renderValue(step.body, vars));
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  headers.accept ??= step.stream ? 'text/event-stream' : 'application/json';
  headers[requestIdHeader] = requestId;
  return { method: route.method, url: base.origin + path, path, headers, body };
}

async function send(step: CompiledStep, target: LiveTarget, req: SentRequest, requestId: string, timeouts: TimeoutsConfig, signal?: AbortSignal): Promise<RawResponse> {
  if (!step.stream) return probeContract(target.pool, req, timeouts.total, signal);
  const s = await probeStream(
    target.pool,
    target.classify,
    {
      target: target.config.name,
      role: target.config.role,
      scenario: step.name,
      requestId,
      iteration: 0,
      vu: 0,
      promptIndex: 0,
      expectsCitations: false,
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: req.body,
      collectText: true,
    },
    timeouts,
    signal,
  );
  const raw: RawResponse = { status: s.status ?? null, headers: {}, bodyText: '', text: s.text ?? '', durationMs: s.endMs };
  if (s.outcome !== 'complete') raw.error = s.error ?? { code: s.outcome, message: s.outcome };
  return raw;
}
