import type { ResolvedScenario } from '../config/load.ts';
import type { Prompt } from '../config/prompts.ts';

/** What one paired iteration sends: the same body and request id to both targets. */
export interface PlannedIteration {
  iteration: number;
  scenario: ResolvedScenario;
  promptIndex: number;
  prompt: Prompt;
  requestId: string;
  sessionId: string;
  body: string | undefined;
}

/**
 * Iteration i takes scenario i mod S and, within it, prompt (i div S) mod P: every scenario and
 * prompt gets its turn in order, and a rerun with the same config sends the same sequence.
 */
export function planIteration(scenarios: readonly ResolvedScenario[], iteration: number, runId: string): PlannedIteration {
  const scenario = scenarioFor(scenarios, iteration);
  const round = Math.floor(iteration / scenarios.length);
  const promptIndex = round % scenario.prompts.length;
  const prompt = scenario.prompts[promptIndex]!;
  const requestId = `${runId}-${iteration}`;
  const vars: Record<string, string> = { iteration: String(iteration), request_id: requestId, prompt: prompt.text };
  const sessionId = render(scenario.sessionId, vars);
  vars.session_id = sessionId;
  const body = scenario.body === undefined || scenario.body === null ? undefined : JSON.stringify(renderDeep(scenario.body, vars));
  return { iteration, scenario, promptIndex, prompt, requestId, sessionId, body };
}

export function scenarioFor(scenarios: readonly ResolvedScenario[], iteration: number): ResolvedScenario {
  return scenarios[iteration % scenarios.length]!;
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

export function render(template: string, vars: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (m, name: string) => vars[name] ?? m);
}

function renderDeep(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return render(value, vars);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, vars)]));
  return value;
}
