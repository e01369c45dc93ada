import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { ExitCode, ParityError, UsageError } from '../errors.ts';
import { evaluatePolicy, scenarioRoutes } from '../gates/evaluate.ts';
import { checkScopes, loadPolicy, type LoadedPolicy, type RunScopes } from '../gates/load.ts';
import { appendAudit, auditFileFor } from '../hooks/audit.ts';
import { fireHooks } from '../hooks/fire.ts';
import type { PairedSample } from '../metrics/sample.ts';
import { renderVerdict } from '../reporters/verdict.ts';
import { renderStoredRun } from './report.ts';
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
    const { run, pairs } = await readStoredRun(file);
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
  input: { run: RunResult; pairs: readonly PairedSample[]; runJson: string; policy: LoadedPolicy; dryRun: boolean },
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

/** run.json and the samples.ndjson it names, checked against each other. */
export async function readStoredRun(file: string): Promise<{ run: RunResult; pairs: PairedSample[] }> {
  const bad = (msg: string) => new ParityError('PARITY_RUN_FILE_INVALID', `${file}: ${msg}`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw bad(e.code ? `cannot read (${e.code}); give the path of a run's run.json, e.g. reports/<run-id>/run.json` : `not valid JSON: ${e.message}`);
  }
  const parsed = RunResult.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw bad(`not a parity run.json this version reads (${first.path.join('.') || '(root)'}: ${first.message})`);
  }
  // The raw document, not the parsed one: zod drops keys it does not know, and sections written by newer steps must survive.
  const run = raw as RunResult;
  const samplesFile = path.join(path.dirname(file), run.samples.file);
  let text: string;
  try {
    text = await readFile(samplesFile, 'utf8');
  } catch {
    throw bad(`its samples file ${samplesFile} is missing; gates need the paired samples for their confidence intervals`);
  }
  const pairs = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as PairedSample;
      } catch {
        throw bad(`${run.samples.file} line ${i + 1} is not JSON`);
      }
    });
  if (pairs.length !== run.samples.pairs) throw bad(`${run.samples.file} holds ${pairs.length} pairs but run.json says ${run.samples.pairs}; the files do not belong together`);
  return { run, pairs };
}
