import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { evaluatePolicy, scenarioRoutes } from '../gates/evaluate.ts';
import { checkScopes, loadPolicy, type LoadedPolicy, type RunScopes } from '../gates/load.ts';
import { gatePair, type GatePair } from '../gates/metrics.ts';
import { appendAudit, auditFileFor } from '../hooks/audit.ts';
import { fireHooks } from '../hooks/fire.ts';
import { renderVerdict } from '../reporters/verdict.ts';
import { renderStoredRun } from './report.ts';
import { readRunWithPairs } from '../run/read.ts';
import { RunResult, type HookResult, type Verdict } from '../run/result.ts';
import type { CliIO, Command } from '../cli.ts';

export const gateCommand: Command = {
  usage: 'gate <run.json> --policy p [--dry-run]',
  summary: 're-judge a stored run against a policy (file or preset), offline; fires its hooks',
  options: { policy: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    const ref = values.policy as string | undefined;
    if (!file || !ref) throw new UsageError('parity gate needs a run.json and a policy: parity gate reports/<run-id>/run.json --policy seed-000-stage-b');
    const { run, pairs } = await readRunWithPairs(file, gatePair);
    const policy = await loadPolicy(ref, io.env);
    checkScopes(policy, runScopes(run, file));
    const code = await applyPolicy({ run, pairs, runJson: path.resolve(file), policy, dryRun: Boolean(values['dry-run']) }, io);
    // The reports beside run.json follow the new verdict.
    const reports = await renderStoredRun(path.resolve(file));
    io.stdout.write(`reports: ${reports.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
    return code;
  },
};

/** Loads the policy for `parity run` and checks its scopes against the config: all before any traffic. */
export async function preparePolicy(ref: string, loaded: LoadedConfig, env: NodeJS.ProcessEnv): Promise<LoadedPolicy> {
  const policy = await loadPolicy(ref, env);
  const routes = new Map<string, string[]>();
  for (const s of loaded.scenarios) routes.set(s.route, [...(routes.get(s.route) ?? []), s.name]);
  checkScopes(policy, { scenarios: loaded.scenarios.map((s) => s.name), routes, source: loaded.file });
  return policy;
}

function runScopes(run: RunResult, file: string): RunScopes {
  const routes = new Map<string, string[]>();
  for (const s of scenarioRoutes(run)) routes.set(s.route, [...(routes.get(s.route) ?? []), s.name]);
  return { scenarios: run.summaries.map((s) => s.scenario), routes, source: file };
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
