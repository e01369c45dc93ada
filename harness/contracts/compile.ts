import { getOwn } from '../json/own.ts';
import { closest } from '../text/closest.ts';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ConfigIssue } from '../errors.ts';
import type { ResolvedTarget } from '../config/resolved.ts';
import { substituteEnv } from '../config/env.ts';
import { checkConfigPath, checkHeaderCase, checkHeaderName, checkHeaderValue, checkRequestIdHeader } from '../config/sendable.ts';
import { SENSITIVE_HEADER } from '../secrets/scrubber.ts';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../json/depth.ts';
import { formatPath } from '../config/issues.ts';
import { LITERAL_ROUTE, type ContractFlowConfig, type ContractsConfig, type ContractStepConfig, type StandardSchemaLike, type TimeoutsConfig } from '../config/schema.ts';
import { compileJsonPath, type JsonPath } from '../json/path.ts';
import { compileRules, type CompiledRules } from './rules.ts';
import { placeholders } from './template.ts';

/**
 * Turns the `contracts` section into runnable flows and checks everything that can be checked
 * before any request: routes every target maps, variables used only after the step that captures
 * them, references to steps that exist and come earlier, JSON Schemas that compile, regular
 * expressions and JSON paths that parse, `${ENV}` values that are set. Every problem is reported
 * at once, with its path in the config file.
 */
export type TargetRole = 'baseline' | 'candidate';
export type BodyValidator = (value: unknown) => Promise<string[]>;

export interface CompiledStep {
  index: number;
  name: string;
  stream: boolean;
  /** Method and path template per target role (the noise replica uses the baseline's). */
  routes: Record<TargetRole, { method: string; path: string }>;
  headers: Record<string, string>;
  body: unknown;
  captures: { name: string; path?: JsonPath; header?: string }[];
  expect: {
    status?: number[];
    schema?: BodyValidator;
    values: { path: JsonPath; expected: unknown }[];
    contains: string[];
    matches: RegExp[];
    json: boolean;
  };
  readBack?: { step: string; paths?: JsonPath[]; rules: CompiledRules };
  rules: CompiledRules;
}

export interface CompiledFlow {
  name: string;
  vars: Record<string, unknown>;
  repeat: number;
  /** false: no noise learning; 'same': a second send to the baseline; or a second baseline URL. */
  noise: false | 'same' | { baselineUrl: string };
  steps: CompiledStep[];
}

export interface ContractPlan {
  flows: CompiledFlow[];
  headers: string[];
  concurrency: number;
  timeouts: TimeoutsConfig;
  snapshots: string;
}

/** Built-in variables: the run id, the flow repetition, a value unique to each flow run on each target. */
export const BUILTIN_VARS = ['run_id', 'iteration', 'unique', 'flow'] as const;


let ajv: Ajv | undefined;
function jsonSchemaCompiler(): Ajv {
  if (!ajv) {
    // strict: an unknown keyword (a typo like "requird") is an invalid schema, not a silent no-op.
    const a = new Ajv({ allErrors: true, strict: true });
    a.addVocabulary(['example']);
    (addFormatsModule as unknown as (a: Ajv) => void)(a);
    ajv = a;
  }
  return ajv;
}

export function compileContracts(
  cfg: ContractsConfig,
  targets: Record<TargetRole, ResolvedTarget>,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  secrets: string[],
  /** The config's `requestIdHeader`: parity sets it on every request, so a step may not set it too. */
  requestIdHeader: string,
  /** The config file's folder: a relative `snapshots` path is resolved against it. */
  baseDir = '.',
): ContractPlan {
  const at = (...p: PropertyKey[]) => formatPath(['contracts', ...p]);
  const env$ = (value: string, where: string): string => {
    const s = substituteEnv(value, env);
    for (const name of s.missing) issues.push({ path: where, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
    if (s.usedEnv) secrets.push(s.value, ...s.values);
    return s.value;
  };
  const envDeep = (v: unknown, where: string): unknown => {
    if (typeof v === 'string') return env$(v, where);
    if (Array.isArray(v)) return v.map((x, i) => envDeep(x, `${where}[${i}]`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, envDeep(x, `${where}.${k}`)]));
    return v;
  };

  const flowNames = new Set<string>();
  const flows = cfg.flows.map((f, fi): CompiledFlow => {
    if (flowNames.has(f.name)) issues.push({ path: at('flows', fi, 'name'), message: `duplicate flow name "${f.name}"` });
    flowNames.add(f.name);
    const noiseSetting = f.noise ?? cfg.noise;
    let noise: CompiledFlow['noise'] = noiseSetting === true ? 'same' : false;
    if (typeof noiseSetting === 'object') {
      const where = f.noise !== undefined ? at('flows', fi, 'noise', 'baselineUrl') : at('noise', 'baselineUrl');
      const url = env$(noiseSetting.baselineUrl, where);
      if (url && !URL.canParse(url)) issues.push({ path: where, message: `"${url}" is not a URL; expected e.g. "http://127.0.0.1:8001"` });
      noise = { baselineUrl: url.replace(/\/+$/, '') };
    }
    const known = new Set<string>(BUILTIN_VARS);
    for (const [k, v] of Object.entries(f.vars)) {
      for (const name of placeholders(v)) {
        if (!(BUILTIN_VARS as readonly string[]).includes(name)) issues.push({ path: at('flows', fi, 'vars', k), message: `flow vars may use only ${BUILTIN_VARS.map((b) => `{{${b}}}`).join(', ')}; "{{${name}}}" is not one` });
      }
      known.add(k);
    }
    return {
      name: f.name,
      vars: f.vars,
      repeat: f.repeat,
      noise,
      steps: compileSteps(f, fi, cfg, targets, known, issues, at, env$, envDeep, requestIdHeader),
    };
  });
  // Literal values of credential headers in steps are secrets too (env-substituted ones already are).
  for (const f of flows) for (const st of f.steps) for (const [k, v] of Object.entries(st.headers)) if (SENSITIVE_HEADER.test(k)) secrets.push(v);
  return { flows, headers: cfg.headers.map((h) => h.toLowerCase()), concurrency: cfg.concurrency, timeouts: cfg.timeouts, snapshots: path.resolve(baseDir, cfg.snapshots) };
}

function compileSteps(
  f: ContractFlowConfig,
  fi: number,
  cfg: ContractsConfig,
  targets: Record<TargetRole, ResolvedTarget>,
  known: Set<string>,
  issues: ConfigIssue[],
  at: (...p: PropertyKey[]) => string,
  env$: (v: string, where: string) => string,
  envDeep: (v: unknown, where: string) => unknown,
  requestIdHeader: string,
): CompiledStep[] {
  const names = f.steps.map((s) => s.name);
  /** variable → index of the first step that captures it; `step.var` too. */
  const capturedAt = new Map<string, number>();
  f.steps.forEach((s, si) => {
    for (const v of Object.keys(s.capture)) {
      if (!capturedAt.has(v)) capturedAt.set(v, si);
      capturedAt.set(`${s.name}.${v}`, si);
    }
  });

  return f.steps.map((s, si): CompiledStep => {
    const here = (...p: PropertyKey[]) => at('flows', fi, 'steps', si, ...p);
    if (names.indexOf(s.name) !== si) issues.push({ path: here('name'), message: `duplicate step name "${s.name}" in flow "${f.name}"` });

    const routes = {} as CompiledStep['routes'];
    const literal = LITERAL_ROUTE.exec(s.route);
    // A mapped route's path is checked in its target's map (config/load.ts); a literal one here, as a
    // stream scenario's is: `/größe` would go out as Latin-1 bytes. Its {{placeholders}} are filled
    // percent-encoded (UTF-8) at run time, so only the literal parts can be unsendable.
    // `${ENV}` in a literal route is filled as in a target's route map (`GET /v1/${TENANT}/lots` went
    // out with `${TENANT}` as its text); a value from the environment is a secret.
    const literalPath = literal ? env$(literal[2]!, here('route')) : undefined;
    if (literalPath !== undefined) checkConfigPath(literalPath, here('route'), issues, true);
    for (const role of ['baseline', 'candidate'] as const) {
      const t = targets[role];
      const r = literal ? { method: literal[1]!, path: literalPath! } : getOwn(t.routes, s.route);
      if (!r) {
        const mapped = Object.keys(t.routes);
        issues.push({
          path: here('route'),
          message: `route "${s.route}" is not in the route map of target "${t.name}" (it maps: ${mapped.length ? mapped.join(', ') : 'nothing'}); add it to that target's routes, or write "METHOD /path"`,
        });
        routes[role] = { method: 'GET', path: '/' };
        continue;
      }
      routes[role] = r;
      checkVars(placeholders(r.path), here('route'));
    }

    const headers: Record<string, string> = {};
    checkHeaderCase(Object.keys(s.headers), here('headers'), issues);
    // Replaced by the pair's request id (or, with a requestIdHeader in another case, sent beside it), never sent as written.
    checkRequestIdHeader(Object.keys(s.headers), requestIdHeader, here('headers'), issues);
    for (const [k, v] of Object.entries(s.headers)) {
      headers[k.toLowerCase()] = env$(v, here('headers', k));
      checkHeaderName(k, here('headers', k), issues);
      checkHeaderValue(headers[k.toLowerCase()]!, here('headers', k), issues, v.includes('${'));
      checkVars(placeholders(v), here('headers', k));
    }
    // Walked recursively: a template nested past any real body's depth is refused, not a stack overflow.
    const tooDeep = s.body !== undefined && jsonDepthExceeds(s.body);
    if (tooDeep) issues.push({ path: here('body'), message: `the body template nests deeper than ${MAX_JSON_DEPTH} levels; flatten it` });
    const body = s.body === undefined || tooDeep ? undefined : envDeep(s.body, here('body'));
    if (!tooDeep) checkVars(placeholders(s.body), here('body'));

    const captures = Object.entries(s.capture).map(([name, spec]) =>
      typeof spec === 'string' ? { name, path: compileJsonPath(spec) } : { name, header: spec.header.toLowerCase() },
    );
    if (s.stream && captures.some((c) => c.path)) issues.push({ path: here('capture'), message: 'a stream step has no JSON body to capture from; capture from a header ({ header: "x-session-id" }) or in a JSON step' });

    const compiledExpect = compileExpect(s, here, issues, checkVars);
    let readBack: CompiledStep['readBack'];
    if (s.readBack) {
      const ref = names.indexOf(s.readBack.step);
      if (ref < 0) issues.push({ path: here('readBack', 'step'), message: `step "${s.readBack.step}" does not exist in flow "${f.name}" (its steps: ${names.join(', ')})` });
      else if (ref >= si) issues.push({ path: here('readBack', 'step'), message: `step "${s.readBack.step}" runs after this one; a read-back compares with an earlier step` });
      if (s.stream) issues.push({ path: here('readBack'), message: 'a stream step has no JSON body to read back' });
      readBack = { step: s.readBack.step, rules: compileRules([{ ignore: s.readBack.ignore, formats: {}, unordered: {}, tolerance: {} }]) };
      if (s.readBack.paths) readBack.paths = s.readBack.paths.map((p) => compileJsonPath(p));
    }

    const step: CompiledStep = {
      index: si,
      name: s.name,
      stream: s.stream,
      routes,
      headers,
      body,
      captures,
      expect: compiledExpect,
      rules: compileRules([cfg.rules, f.rules, s.rules]),
    };
    if (readBack) step.readBack = readBack;
    return step;

    function checkVars(used: string[], where: string) {
      for (const name of new Set(used)) {
        const dot = name.indexOf('.');
        if (dot > 0) {
          const stepName = name.slice(0, dot);
          const ref = names.indexOf(stepName);
          if (ref < 0) issues.push({ path: where, message: `"{{${name}}}" captures from step "${stepName}", which does not exist in flow "${f.name}" (its steps: ${names.join(', ')})` });
          else if (!capturedAt.has(name)) issues.push({ path: where, message: `"{{${name}}}": step "${stepName}" captures no variable "${name.slice(dot + 1)}"; add it to that step's capture` });
          else if (ref >= si) issues.push({ path: where, message: `"{{${name}}}" is used before step "${stepName}" runs; a variable can only be used after the step that captures it` });
          continue;
        }
        if (known.has(name)) continue;
        const c = capturedAt.get(name);
        if (c === undefined) {
          const near = closest(name, [...known, ...capturedAt.keys()].filter((k) => !k.includes('.')));
          issues.push({ path: where, message: `variable "{{${name}}}" is never defined; ${near ? `did you mean "{{${near}}}"? ` : ''}capture it in an earlier step or define it in the flow's vars` });
        }
        else if (c >= si) issues.push({ path: where, message: `variable "{{${name}}}" is used before it is captured (by step "${names[c]}"); a variable can only be used after the step that captures it` });
      }
    }
  });
}

function compileExpect(
  s: ContractStepConfig,
  here: (...p: PropertyKey[]) => string,
  issues: ConfigIssue[],
  checkVars: (used: string[], where: string) => void,
): CompiledStep['expect'] {
  const e = s.expect;
  const out: CompiledStep['expect'] = { values: [], contains: e.contains, matches: [], json: e.json ?? !s.stream };
  if (e.status !== undefined) out.status = Array.isArray(e.status) ? e.status : [e.status];
  for (const [p, expected] of Object.entries(e.values)) {
    out.values.push({ path: compileJsonPath(p), expected });
    checkVars(placeholders(expected), here('expect', 'values', p));
  }
  e.contains.forEach((c, i) => checkVars(placeholders(c), here('expect', 'contains', i)));
  e.matches.forEach((m, i) => {
    try {
      out.matches.push(new RegExp(m));
    } catch (err) {
      issues.push({ path: here('expect', 'matches', i), message: `${(err as Error).message}` });
    }
  });
  if (s.stream && (e.schema !== undefined || Object.keys(e.values).length > 0)) {
    issues.push({ path: here('expect'), message: 'a stream step is checked with "contains" and "matches" on the streamed text; "schema" and "values" need a JSON step' });
  }
  if (e.schema !== undefined) {
    const schema = e.schema;
    if (isStandard(schema)) out.schema = standardValidator(schema);
    else {
      try {
        const validate = jsonSchemaCompiler().compile(schema);
        out.schema = async (v) => (validate(v) ? [] : (validate.errors ?? []).map(describeAjvError));
      } catch (err) {
        issues.push({ path: here('expect', 'schema'), message: `invalid JSON Schema: ${(err as Error).message}` });
      }
    }
  }
  return out;
}

function isStandard(v: unknown): v is StandardSchemaLike {
  return typeof (v as Partial<StandardSchemaLike>)['~standard']?.validate === 'function';
}

interface StandardResult {
  issues?: readonly { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] }[];
}

function standardValidator(schema: StandardSchemaLike): BodyValidator {
  return async (v) => {
    const r = (await schema['~standard'].validate(v)) as StandardResult;
    return (r.issues ?? []).map((i) => {
      const path = (i.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
      return `${path.length ? `at ${formatPath(path)}: ` : ''}${i.message}`;
    });
  };
}

function describeAjvError(e: ErrorObject): string {
  return `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`;
}
