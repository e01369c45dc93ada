import type { ResolvedScenario } from '../config/load.ts';
import type { Prompt } from '../config/prompts.ts';
import { pickScenario, type Picked } from './mix.ts';
import { splitPlaceholders } from '../text/placeholders.ts';

/** What one paired iteration sends: the same body and request id to both targets. */
export interface PlannedIteration {
  iteration: number;
  scenario: ResolvedScenario;
  promptIndex: number;
  prompt: Prompt;
  requestId: string;
  sessionId: string;
  body: string | undefined;
  /** The scenario's headers with their placeholders filled, when any has one (else the scenario's own, fixed, apply). */
  headers: Record<string, string> | undefined;
}

/**
 * Iteration i takes scenario i mod S (or by weight: load/mix.ts) and, within it, prompt (i div S) mod P: every scenario and
 * prompt gets its turn in order, and a rerun with the same config sends the same sequence.
 */
export function planIteration(scenarios: readonly ResolvedScenario[], iteration: number, runId: string): PlannedIteration {
  return planStream(pickScenario(scenarios, iteration), iteration, runId);
}

/** The stream iteration for a scenario already picked (mixed configs pick among every kind of scenario). */
export function planStream(picked: Picked<ResolvedScenario>, iteration: number, runId: string): PlannedIteration {
  const { scenario, round } = picked;
  const promptIndex = round % scenario.prompts.length;
  const prompt = scenario.prompts[promptIndex]!;
  const requestId = `${runId}-${iteration}`;
  const vars: Record<string, string> = { iteration: String(iteration), request_id: requestId, prompt: prompt.text };
  const sessionId = render(scenario.sessionId, vars);
  vars.session_id = sessionId;
  const body = bodyTemplate(scenario)(vars);
  const headers = headerTemplate(scenario)(vars);
  return { iteration, scenario, promptIndex, prompt, requestId, sessionId, body, headers };
}

/**
 * A stream scenario's route path for one iteration: `{{session_id}}`, `{{iteration}}` and
 * `{{request_id}}` filled, percent-encoded (UTF-8), as a request scenario's path placeholders are
 * (`POST /conversations/{{session_id}}/messages`). Until this, a stream route's placeholders went
 * out as their own text (`/conversations/{{session_id}}/messages`) in every request, to both
 * targets alike. Other names are refused by the config check (stream-placeholders.ts).
 */
export function streamPath(path: string, plan: Pick<PlannedIteration, 'iteration' | 'requestId' | 'sessionId'>): string {
  if (!path.includes('{{')) return path;
  return path.replace(STREAM_PATH_PLACEHOLDER, (_m, name: string) => encodeURIComponent(name === 'session_id' ? plan.sessionId : name === 'request_id' ? plan.requestId : String(plan.iteration)));
}

const STREAM_PATH_PLACEHOLDER = /\{\{\s*(session_id|iteration|request_id)\s*\}\}/g;

export function scenarioFor<T extends { weight?: number | undefined }>(scenarios: readonly T[], iteration: number): T {
  return pickScenario(scenarios, iteration).scenario;
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

export function render(template: string, vars: Record<string, string>): string {
  return compileTemplate(template)(vars);
}

type Template = (vars: Record<string, string>) => string;
/** Compiled templates by text: they come from the config (a scenario's session id and body strings), so this stays small. */
const templates = new Map<string, Template>();

/**
 * A template split once into its literal text and placeholders, so each request only joins
 * strings (a regular-expression replace per string per request was a tenth of the harness's own
 * CPU). A placeholder with no value stays as written.
 */
function compileTemplate(template: string): Template {
  let t = templates.get(template);
  if (t) return t;
  const { parts: literals, names, written } = splitPlaceholders(template, PLACEHOLDER);
  t = names.length === 0
    ? () => template
    : (vars) => {
        let out = literals[0]!;
        for (let i = 0; i < names.length; i++) {
          const v = vars[names[i]!]; // own string values only: `{{constructor}}` is not Object's
          out += (typeof v === 'string' ? v : written[i]!) + literals[i + 1]!;
        }
        return out;
      };
  templates.set(template, t);
  return t;
}

/** Every string in a JSON-like value passed through `f` (keys are kept as they are). */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

/** Serialized prompt strings kept per body string (beyond this, the rest are serialized per request). */
const PROMPT_CACHE_SIZE = 10_000;

type HeaderTemplate = (vars: Record<string, string>) => Record<string, string> | undefined;
const headerTemplates = new WeakMap<object, HeaderTemplate>();

/**
 * The scenario's headers renderer: undefined per request when no header value has a placeholder
 * (the common case: the fixed headers are worked out once per target), else the headers with
 * `{{session_id}}`, `{{iteration}}`, `{{request_id}}` filled (config/stream-placeholders.ts allows
 * no others).
 */
function headerTemplate(scenario: ResolvedScenario): HeaderTemplate {
  let t = headerTemplates.get(scenario);
  if (t) return t;
  const entries = Object.entries(scenario.headers);
  if (!entries.some(([, v]) => v.includes('{{'))) t = () => undefined;
  else {
    const renderers = entries.map(([k, v]) => [k, compileTemplate(v)] as const);
    t = (vars) => Object.fromEntries(renderers.map(([k, r]) => [k, r(vars)]));
  }
  headerTemplates.set(scenario, t);
  return t;
}

type BodyTemplate = (vars: Record<string, string>) => string | undefined;
const bodyTemplates = new WeakMap<object, BodyTemplate>();

/** The scenario's body renderer, compiled on first use (a pure function of the scenario's template). */
function bodyTemplate(scenario: ResolvedScenario): BodyTemplate {
  let t = bodyTemplates.get(scenario);
  if (!t) bodyTemplates.set(scenario, (t = compileBody(scenario.body)));
  return t;
}

/**
 * Renders `JSON.stringify(body with placeholders filled)` without walking and re-serializing the
 * template per iteration: the template is serialized once with a marker in place of each string
 * that holds a placeholder, and each request joins the fixed JSON around those strings rendered.
 * Checked once against the direct rendering; any doubt (a marker already in the template) keeps
 * the direct rendering.
 */
function compileBody(template: unknown): BodyTemplate {
  const direct: BodyTemplate = (vars) => (template === undefined || template === null ? undefined : JSON.stringify(mapStrings(template, (s) => render(s, vars))));
  if (template === undefined || template === null) return direct;
  const slots: string[] = [];
  const marker = (i: number) => `\u0000parity:${i}\u0000`;
  const skeleton = JSON.stringify(mapStrings(template, (s) => (s.includes('{{') ? marker(slots.push(s) - 1) : s)));
  const fixed: string[] = [];
  let at = 0;
  for (let i = 0; i < slots.length; i++) {
    const m = JSON.stringify(marker(i));
    const j = skeleton.indexOf(m, at);
    if (j < 0) return direct;
    fixed.push(skeleton.slice(at, j));
    at = j + m.length;
  }
  fixed.push(skeleton.slice(at));
  const renderers = slots.map(compileTemplate);
  // A string that holds the prompt and nothing else per request (`{{prompt}}`) is serialized once
  // per prompt: prompt sets are small and repeat.
  const byPrompt = slots.map((slot) => ([...slot.matchAll(PLACEHOLDER)].every((m) => m[1] === 'prompt') ? new Map<string, string>() : undefined));
  const compiled: BodyTemplate = (vars) => {
    let out = fixed[0]!;
    for (let i = 0; i < slots.length; i++) {
      const cache = byPrompt[i];
      let json = cache?.get(vars.prompt!);
      if (json === undefined) {
        json = JSON.stringify(renderers[i]!(vars));
        if (cache && cache.size < PROMPT_CACHE_SIZE && typeof vars.prompt === 'string') cache.set(vars.prompt, json);
      }
      out += json + fixed[i + 1]!;
    }
    return out;
  };
  const probe = { iteration: '7', request_id: 'r"\\-7', prompt: 'p\n"{{x}}', session_id: 's-7' };
  return compiled(probe) === direct(probe) ? compiled : direct;
}
