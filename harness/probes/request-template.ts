import { compileJson, compileString, type CompiledString } from '../contracts/compiled-template.ts';
import type { CompiledStep } from '../contracts/compile.ts';
import { placeholders, type Vars } from '../contracts/template.ts';
import type { LiveTarget } from '../targets/target.ts';
import type { HttpRequest } from './request-probe.ts';

/**
 * A flow step's request to one target, worked out once per (target, step): the path and header
 * templates split into literal parts, the JSON body as its text with holes, the headers that never
 * change as one object to copy. An iteration under load fills in its variables and the request id
 * and sends; the request is byte for byte what rendering the step's templates gives (same headers
 * in the same order, same body text).
 */
interface RequestTemplate {
  routes: 'baseline' | 'candidate';
  requestIdHeader: string;
  method: string;
  path: CompiledString;
  /** Every header in send order; a templated one holds '' until filled. */
  headers: Record<string, string>;
  templated: [string, CompiledString][];
  body: CompiledString | undefined;
}

const cache = new WeakMap<LiveTarget, WeakMap<CompiledStep, RequestTemplate>>();

function compile(step: CompiledStep, target: LiveTarget, routes: 'baseline' | 'candidate', requestIdHeader: string): RequestTemplate {
  const route = step.routes[routes];
  const prefix = new URL(target.config.baseUrl).pathname.replace(/\/+$/, '');
  const pathTemplate = compileString(route.path, encodeURIComponent);
  const headers: Record<string, string> = { ...target.config.headers };
  const templated: [string, CompiledString][] = [];
  for (const [k, v] of Object.entries(step.headers)) {
    if (v.includes('{{')) {
      headers[k] = '';
      templated.push([k, compileString(v)]);
    } else headers[k] = v;
  }
  let body: CompiledString | undefined;
  if (typeof step.body === 'string') {
    body = compileString(step.body);
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (step.body !== undefined) {
    body = compileJson(step.body);
    headers['content-type'] ??= 'application/json';
  }
  headers.accept ??= 'application/json';
  // Its place in the header order is fixed here; its value is the request's.
  headers[requestIdHeader] = '';
  return { routes, requestIdHeader, method: route.method, path: prefix === '' ? pathTemplate : (vars) => prefix + pathTemplate(vars), headers, templated, body };
}

function templateFor(step: CompiledStep, target: LiveTarget, routes: 'baseline' | 'candidate', requestIdHeader: string): RequestTemplate {
  let byStep = cache.get(target);
  if (!byStep) cache.set(target, (byStep = new WeakMap()));
  let t = byStep.get(step);
  if (!t || t.routes !== routes || t.requestIdHeader !== requestIdHeader) byStep.set(step, (t = compile(step, target, routes, requestIdHeader)));
  return t;
}

/**
 * The step's request to `target` with this side's variables: `routes` picks the route map (the
 * noise replica sends the baseline's). `body`: the body another side's request of this step
 * already rendered, when `sameBodyOnEverySide` says it cannot differ.
 */
export function buildRequest(step: CompiledStep, target: LiveTarget, routes: 'baseline' | 'candidate', vars: Vars, requestIdHeader: string, requestId: string, body?: string): HttpRequest {
  const t = templateFor(step, target, routes, requestIdHeader);
  const headers = { ...t.headers };
  for (let i = 0; i < t.templated.length; i++) {
    const [k, render] = t.templated[i]!;
    headers[k] = render(vars);
  }
  headers[requestIdHeader] = requestId;
  return { method: t.method, path: t.path(vars), headers, body: body ?? t.body?.(vars) };
}

const sameBody = new WeakMap<CompiledStep, boolean>();

/**
 * Whether the step's body is the same text on every side of an iteration: it uses only variables
 * every side has the same value of (the run id, the iteration, the flow's name, and flow vars made
 * of those), none of which a step captures (a capture is a side's own). `{{unique}}` differs by side.
 */
export function sameBodyOnEverySide(flow: { vars: Record<string, unknown>; steps: readonly CompiledStep[] }, step: CompiledStep): boolean {
  let same = sameBody.get(step);
  if (same === undefined) {
    const shared = new Set(['run_id', 'iteration', 'flow']);
    for (const k in flow.vars) {
      if (placeholders(flow.vars[k]).every((n) => shared.has(n))) shared.add(k);
      else shared.delete(k);
    }
    for (const st of flow.steps) {
      for (const c of st.captures) {
        shared.delete(c.name);
        shared.delete(`${st.name}.${c.name}`);
      }
    }
    same = placeholders(step.body).every((n) => shared.has(n));
    sameBody.set(step, same);
  }
  return same;
}
