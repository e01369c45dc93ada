import { readFile, writeFile } from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.ts';
import { ExitCode } from '../errors.ts';
import { evaluatePolicy, scenarioRoutes } from '../gates/evaluate.ts';
import { checkScopes, loadPolicy, type LoadedPolicy, type RunScopes } from '../gates/load.ts';
import type { GatePair } from '../gates/metrics.ts';
import { appendAudit, auditFileFor } from '../hooks/audit.ts';
import { fireHooks } from '../hooks/fire.ts';
import type { CliIO } from '../io.ts';
import { renderVerdict } from '../reporters/verdict.ts';
import type { HookResult, RunResult, Verdict } from '../run/result.ts';

/** Loads the policy for `parity run` and checks its scopes against the config: all before any traffic. */
export async function preparePolicy(ref: string, loaded: LoadedConfig, env: NodeJS.ProcessEnv): Promise<LoadedPolicy> {
  const policy = await loadPolicy(ref, env);
  const routes = new Map<string, string[]>();
  const add = (route: string, name: string) => routes.set(route, [...new Set([...(routes.get(route) ?? []), name])]);
  for (const s of loaded.scenarios) {
    if (s.type === 'stream') add(s.route, s.name);
    else s.routes.forEach((r) => add(r, s.name));
  }
  const steps = new Map(loaded.scenarios.map((s) => [s.name, s.type === 'flow' ? s.flow.steps.map((st) => st.name) : []]));
  checkScopes(policy, { scenarios: loaded.scenarios.map((s) => s.name), routes, steps, source: loaded.file });
  return policy;
}

export function runScopes(run: RunResult, file: string): RunScopes {
  const routes = new Map<string, string[]>();
  for (const s of scenarioRoutes(run)) routes.set(s.route, [...(routes.get(s.route) ?? []), s.name]);
  const steps = new Map<string, string[]>(run.summaries.map((s) => [s.scenario, []]));
  for (const e of run.endpoints ?? []) {
    routes.set(e.route, [...new Set([...(routes.get(e.route) ?? []), e.scenario])]);
    if (e.step !== null) steps.set(e.scenario, [...(steps.get(e.scenario) ?? []), e.step]);
  }
  return { scenarios: run.summaries.map((s) => s.scenario), routes, steps, source: file };
}

/**
 * The step after a run: evaluate → record the verdict in run.json → fire the verdict's hooks →
 * record their results in run.json and the audit log → exit code by verdict
 * (0 pass, 1 fail, 2 inconclusive).
 */
export async function applyPolicy(
  input: { run: RunResult; pairs: readonly GatePair[]; runJson: string; policy: LoadedPolicy; dryRun: boolean },
  io: CliIO,
): Promise<number> {
  const { run, policy, runJson } = input;
  const verdict = evaluatePolicy(policy, run, input.pairs);
  io.stdout.write(`\n${renderVerdict(verdict, { color: Boolean(io.stdout.isTTY) })}\n`);
  // Hooks may read run.json: the verdict is in it before they fire.
  await recordInRunJson(runJson, verdict, undefined);
  const hooks = await fireHooks(policy.hooks, { verdict, run: { ...run, verdict }, runJson, policy: { name: policy.name, file: policy.file } }, {
    dryRun: input.dryRun,
    secrets: policy.secrets,
    log: (line) => io.stdout.write(`hook ${line}\n`),
  });
  await recordInRunJson(runJson, verdict, hooks);
  await appendAudit(auditFileFor(runJson), { runId: run.runId, runJson, policy: policy.name, verdict, hooks, dryRun: input.dryRun });
  const broken = hooks.filter((h) => !h.ok);
  if (broken.length) io.stderr.write(`parity: ${broken.length} hook${broken.length === 1 ? '' : 's'} failed: ${broken.map((h) => `${h.target} (${h.error ?? 'failed'})`).join('; ')}\n`);
  return ExitCode[verdict.status];
}

/** Rewrites run.json from its own text (already scrubbed of secrets), keeping every section other steps wrote. */
async function recordInRunJson(runJson: string, verdict: Verdict, hooks: HookResult[] | undefined): Promise<void> {
  const doc = JSON.parse(await readFile(runJson, 'utf8')) as Record<string, unknown>;
  doc.verdict = verdict;
  if (hooks) doc.hooks = hooks;
  else delete doc.hooks;
  await writeFile(runJson, JSON.stringify(doc, null, 2) + '\n');
}
