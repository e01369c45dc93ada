import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { ExitCode } from '../errors.ts';
import { evaluatePolicy, scenarioRoutes } from '../gates/evaluate.ts';
import { checkScopes, isWarnOnly, loadPolicy, type LoadedPolicy, type RunScopes } from '../gates/load.ts';
import { gatePair, type GatePair } from '../gates/metrics.ts';
import { auditFileFor, auditHook, auditHookAbandonedSync, auditVerdict } from '../hooks/audit.ts';
import { ABANDONED, fireHooks } from '../hooks/fire.ts';
import { enterHookPhase } from '../hooks/signals.ts';
import { writeFileAtomic, writeFileAtomicSync } from '../output/atomic.ts';
import type { CliIO } from '../io.ts';
import { renderVerdict } from '../reporters/verdict.ts';
import { readRunWithPairs } from '../run/read.ts';
import { recoverRun } from '../run/recover.ts';
import { Scrubber } from '../secrets/scrubber.ts';
import { terminalSafe } from '../text/escape.ts';
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
 * A stored run and its pairs for `parity gate`: a run killed before it finished is first recovered
 * from its spool (run/recover.ts), so every measured pair is judged, as an incomplete run.
 */
export async function loadStoredRun(file: string, io: CliIO): Promise<{ run: RunResult; pairs: GatePair[] }> {
  const recovered = await recoverRun(path.resolve(file));
  if (recovered !== null) io.stderr.write(`parity: ${file} did not finish; ${recovered} measured pairs recovered from its samples spool, judged as an incomplete run\n`);
  const { run, pairs, mismatch } = await readRunWithPairs(file, gatePair);
  if (mismatch) io.stderr.write(`parity: ${file}: ${mismatch}; judged as the incomplete run it is (never a pass)\n`);
  return { run, pairs };
}

/**
 * The step after a run: evaluate → record the verdict in run.json and the audit log → fire the
 * verdict's hooks, each recorded as started (run.json and audit) before it runs and with its result
 * after → exit code by verdict (0 pass, 1 fail, 2 inconclusive; 2 also when a signal stopped the
 * hooks: see hooks/signals.ts), or 4 when the verdict was reached but one of its hooks failed (a
 * failed rollback must not look like a rollback). A warn-only policy decides nothing: its verdict
 * is recorded as inconclusive with the reason, no hook fires, and the exit code is a policy-less
 * run's (0 complete, 2 incomplete).
 */
export async function applyPolicy(
  input: { run: RunResult; pairs: readonly GatePair[]; runJson: string; policy: LoadedPolicy; dryRun: boolean; secrets?: readonly string[]; verdict?: Verdict },
  io: CliIO,
): Promise<number> {
  const { policy, runJson } = input;
  const secrets = [...policy.secrets, ...(input.secrets ?? [])];
  const scrubber = new Scrubber(secrets);
  // The run as stored is already scrubbed; scrubbed again here so no caller can hand hooks a raw one.
  const run = scrubber.scrubDeep(input.run);
  // A verdict the caller already has (judged off-thread on the same run and pairs) is not judged twice.
  const verdict = scrubber.scrubDeep(input.verdict ?? evaluatePolicy(policy, run, input.pairs));
  io.stdout.write(`\n${renderVerdict(verdict, { color: Boolean(io.stdout.isTTY) })}\n`);
  const audit = auditFileFor(runJson);
  const entry = { runId: run.runId, runJson, policy: policy.name, verdict, dryRun: input.dryRun };
  // A dry run over a run whose hooks really ran (a promotion that fired) leaves run.json as the
  // record of what happened: the verdict acted on and its hooks' results stay; the dry run's verdict
  // is printed and goes to the audit log. Rewriting it put a previewed verdict and "dry run" hooks
  // where the real promotion or rollback had been recorded.
  const ofRecord = input.dryRun && (input.run.hooks ?? []).some((h) => !h.dryRun);
  const record = (hooks: HookResult[] | undefined) => (ofRecord ? Promise.resolve() : recordInRunJson(runJson, verdict, hooks));
  if (ofRecord) io.stderr.write(`parity: dry run: ${runJson} keeps the verdict and hooks that ran (its record of what happened); this verdict is in ${audit} only\n`);
  // Hooks may read run.json: the verdict is in it (and in the audit log) before they fire.
  await record(undefined);
  const advisory = isWarnOnly(policy);
  await auditVerdict(audit, entry);
  const done: HookResult[] = [];
  let running: HookResult | null = null;
  const phase = enterHookPhase({
    log: (line) => io.stderr.write(line),
    abandon: () => {
      if (!running) return;
      const abandoned = { ...running, error: ABANDONED };
      auditHookAbandonedSync(audit, entry, abandoned);
      recordInRunJsonSync(runJson, verdict, [...done, abandoned]);
      io.stderr.write(`parity: ${running.target} abandoned while it ran; recorded in run.json and ${audit}\n`);
    },
  });
  let hooks: HookResult[];
  try {
    hooks = await fireHooks(advisory ? { pass: [], fail: [], inconclusive: [] } : policy.hooks, { verdict, run: { ...run, verdict }, runJson, policy: { name: policy.name, file: policy.file } }, {
      dryRun: input.dryRun,
      secrets,
      log: (line) => io.stdout.write(`hook ${terminalSafe(line)}\n`),
      proceed: () => !phase.interrupted,
      before: async (started) => {
        await auditHook(audit, 'hook-start', entry, started);
        await record([...done, started]);
        running = started;
      },
      after: async (result) => {
        running = null;
        done.push(result);
        await auditHook(audit, 'hook', entry, result);
        await record(done);
      },
    });
    // A verdict with no hooks still says so in run.json (hooks: []).
    if (hooks.length === 0) await record(hooks);
  } finally {
    phase.dispose();
  }
  const broken = hooks.filter((h) => !h.ok);
  if (broken.length) io.stderr.write(`parity: ${broken.length} hook${broken.length === 1 ? '' : 's'} failed: ${broken.map((h) => `${h.target} (${h.error ?? 'failed'})`).join('; ')}\n`);
  if (phase.interrupted) {
    io.stderr.write('parity: interrupted while hooks ran; exit 2\n');
    return ExitCode.inconclusive;
  }
  if (broken.length) {
    io.stderr.write(`parity: exit ${ExitCode.hookFailed}: verdict ${verdict.status} reached and recorded, but its hooks failed; check the deployment by hand\n`);
    return ExitCode.hookFailed;
  }
  if (advisory) return run.complete ? ExitCode.pass : ExitCode.inconclusive;
  return ExitCode[verdict.status];
}

/** Rewrites run.json from its own text (already scrubbed of secrets), keeping every section other steps wrote. */
export async function recordInRunJson(runJson: string, verdict: Verdict, hooks: HookResult[] | undefined): Promise<void> {
  const doc = JSON.parse(await readFile(runJson, 'utf8')) as Record<string, unknown>;
  await writeFileAtomic(runJson, withHooks(doc, verdict, hooks), 'run.json');
}

function recordInRunJsonSync(runJson: string, verdict: Verdict, hooks: HookResult[]): void {
  const doc = JSON.parse(readFileSync(runJson, 'utf8')) as Record<string, unknown>;
  writeFileAtomicSync(runJson, withHooks(doc, verdict, hooks));
}

function withHooks(doc: Record<string, unknown>, verdict: Verdict, hooks: HookResult[] | undefined): string {
  doc.verdict = verdict;
  if (hooks) doc.hooks = hooks;
  else delete doc.hooks;
  return JSON.stringify(doc, null, 2) + '\n';
}
