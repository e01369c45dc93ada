import type { ConfigIssue } from '../errors.ts';
import { compileContracts, type CompiledFlow, type TargetRole } from '../contracts/compile.ts';
import type { ResolvedScenario, ResolvedTarget } from './resolved.ts';
import { Contracts, type ContractFlowConfig, type ParsedConfig } from './schema.ts';

/**
 * A request or flow scenario, compiled with the contract compiler (a request is a flow of one
 * step named after the scenario): routes per target, templates, captures, checks, diff rules.
 */
export interface ResolvedFlowScenario {
  type: 'request' | 'flow';
  name: string;
  weight?: number | undefined;
  /** Share of pairs diffed under the contract rules (0..1). */
  compare: number;
  /** Compared iterations also run on the baseline a second time, to learn noise. */
  noise: boolean;
  flow: CompiledFlow;
  /** Per step (by index): the endpoint as "METHOD /path/:var", from the baseline's route. */
  routes: string[];
}

export type AnyResolvedScenario = ResolvedScenario | ResolvedFlowScenario;

/**
 * Request and flow scenarios go through the contract compiler (`harness/contracts/compile.ts`), so
 * a load flow is checked exactly as a contract flow is, before any request: routes every target
 * maps, captures used only after the step that makes them, read-backs of earlier steps, schemas,
 * `${ENV}`. A request scenario is a flow of one step named after the scenario. The compiler's
 * issue paths (`contracts.flows[i]...`) are rewritten to the scenario's (`scenarios[k]...`).
 */
export function compileFlowScenarios(
  config: ParsedConfig,
  targets: Record<TargetRole, ResolvedTarget>,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  secrets: string[],
): Map<number, ResolvedFlowScenario> {
  const out = new Map<number, ResolvedFlowScenario>();
  const at: number[] = [];
  const flows: ContractFlowConfig[] = [];
  config.scenarios.forEach((s, k) => {
    if (s.type === 'stream') return;
    at.push(k);
    if (s.type === 'flow') {
      if (s.steps.some((st) => st.stream)) {
        issues.push({ path: `scenarios[${k}].steps[${s.steps.findIndex((st) => st.stream)}].stream`, message: 'a load flow reads whole responses; put the stream in a stream scenario (type: stream) or in contracts' });
      }
      flows.push({ name: s.name, vars: s.vars, repeat: 1, rules: s.rules, steps: s.steps });
    } else {
      flows.push({
        name: s.name,
        vars: s.vars,
        repeat: 1,
        rules: s.rules,
        // A request scenario reads any body (JSON or not) unless it asks for JSON (`expect.json: true`).
        steps: [{ name: s.name, route: s.route, stream: false, headers: s.headers, body: s.body, capture: {}, expect: { ...s.expect, json: s.expect.json ?? false } }],
      });
    }
  });
  if (flows.length === 0) return out;
  const base = Contracts.parse({ flows: [{ name: 'x', steps: [{ name: 'x', route: 'GET /' }] }] });
  const shared = config.contracts ?? base;
  const own: ConfigIssue[] = [];
  const plan = compileContracts(
    { ...base, headers: shared.headers, rules: shared.rules, noise: false, timeouts: config.load?.timeouts ?? base.timeouts, flows },
    targets,
    env,
    own,
    secrets,
    config.requestIdHeader,
  );
  for (const issue of own) {
    const m = /^contracts\.flows\[(\d+)\](?:\.steps\[(\d+)\])?(.*)$/.exec(issue.path);
    if (!m) {
      issues.push(issue);
      continue;
    }
    const k = at[Number(m[1])]!;
    const isRequest = config.scenarios[k]!.type === 'request';
    const step = m[2] === undefined ? '' : isRequest ? '' : `.steps[${m[2]}]`;
    issues.push({ ...issue, path: `scenarios[${k}]${step}${m[3]}` });
  }
  plan.flows.forEach((flow, i) => {
    const k = at[i]!;
    const s = config.scenarios[k]!;
    if (s.type === 'stream') return;
    out.set(k, {
      type: s.type,
      name: s.name,
      weight: s.weight,
      compare: s.compare,
      noise: s.noise,
      flow,
      routes: flow.steps.map((st) => routeTemplate(st.routes.baseline)),
    });
  });
  return out;
}

/** "GET /api/lots/{{lot_id}}" → "GET /api/lots/:lot_id": the endpoint, not the concrete path. */
export function routeTemplate(r: { method: string; path: string }): string {
  return `${r.method} ${r.path.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (_m, name: string) => `:${name.slice(name.lastIndexOf('.') + 1)}`)}`;
}

/**
 * Compiled flows hold functions (JSON paths, diff rules, schema validators) that cannot cross to
 * a worker thread: a worker gets the loaded config without them and compiles them again from the
 * parsed config, with the same targets and environment (config order is kept, so scenario k is
 * still scenario k).
 */
export function withoutCompiledFlows<T extends { scenarios: AnyResolvedScenario[]; contracts?: unknown }>(loaded: T): T {
  const { contracts: _c, ...rest } = loaded;
  return { ...rest, scenarios: loaded.scenarios.map((s) => (s.type === 'stream' ? s : { type: s.type, name: s.name, weight: s.weight, compare: s.compare, noise: s.noise, routes: s.routes })) } as T;
}

export function recompileFlows<T extends { config: ParsedConfig; baseline: ResolvedTarget; candidate: ResolvedTarget; scenarios: AnyResolvedScenario[]; env?: NodeJS.ProcessEnv | undefined }>(loaded: T): T {
  if (loaded.scenarios.every((s) => s.type === 'stream')) return loaded;
  const flows = compileFlowScenarios(loaded.config, { baseline: loaded.baseline, candidate: loaded.candidate }, loaded.env ?? process.env, [], []);
  return { ...loaded, scenarios: loaded.scenarios.map((s, k) => (s.type === 'stream' ? s : flows.get(k)!)) };
}
