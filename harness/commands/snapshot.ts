import { mkdir, rename, writeFile } from 'node:fs/promises';
import { Scrubber } from '../secrets/scrubber.ts';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { ContractPlan, TargetRole } from '../contracts/compile.ts';
import { snapshotRunResult } from '../contracts/snapshot-run.ts';
import { compareSnapshots, recordSnapshots } from '../contracts/snapshots.ts';
import { loadPolicy } from '../gates/load.ts';
import { applyPolicy } from '../pipeline/judge.ts';
import { renderStoredRun } from '../pipeline/render.ts';
import { ExitCode, PreflightError, UsageError } from '../errors.ts';
import { renderContracts } from '../reporters/contracts.ts';
import { checkRunId, newRunId } from '../run/engine.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget, type LiveTarget } from '../targets/target.ts';
import type { CliIO, Command } from './command.ts';
import { displayPath } from '../paths.ts';

/**
 * `parity snapshot record <config>`: store the baseline's responses to every contract step.
 * `parity snapshot compare <config>`: run the flows on a target (the candidate by default) and
 * diff every step against its snapshot; writes a run directory (run.json, summary.md,
 * report.html, junit.xml, the per-step diffs); exit 1 on drift or failed assertions, or by the
 * verdict with --policy.
 */
export const snapshotCommand: Command = {
  usage: 'snapshot record|compare <config>',
  summary: 'record baseline contract responses, or compare a target against them',
  options: {
    target: { type: 'string' },
    'update-snapshots': { type: 'boolean', default: false },
    out: { type: 'string' },
    'run-id': { type: 'string' },
    policy: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'summary-to': { type: 'string' },
  },
  help: {
    target: { description: 'which target to record or compare: baseline or candidate', default: 'baseline for record, candidate for compare', example: '--target baseline' },
    'update-snapshots': { description: 'compare, then rewrite the snapshots with what was received (drift accepted)', example: '--update-snapshots' },
    out: { description: 'folder compare writes its run directory <run-id>/ into (run.json, summary.md, report.html, junit.xml)', default: "the config's outDir (reports)", example: '--out /tmp/snapshots-run' },
    'run-id': { description: 'name of the compare run folder', default: 'a timestamp plus random suffix', example: '--run-id nightly-contracts' },
    policy: { description: 'compare: policy judged on the compare run (e.g. contract_drift.breaking <= 0); its hooks fire', default: 'none: no verdict', example: '--policy contracts-policy.yaml' },
    'dry-run': { description: 'print the hooks the verdict would fire; run none', example: '--dry-run' },
    'summary-to': { description: 'append the Markdown summary to this file', default: 'none', example: '--summary-to "$GITHUB_STEP_SUMMARY"' },
  },
  examples: ['parity snapshot record scenarios/contracts/lots.config.yaml', 'parity snapshot compare scenarios/contracts/lots.config.yaml --target candidate'],
  async execute({ values, positionals }, io) {
    const [action, file] = positionals;
    if ((action !== 'record' && action !== 'compare') || !file) throw new UsageError('usage: parity snapshot record <config> | parity snapshot compare <config> [--target baseline|candidate] [--update-snapshots] [--policy p]');
    const role = (values.target as string | undefined) ?? (action === 'record' ? 'baseline' : 'candidate');
    if (role !== 'baseline' && role !== 'candidate') throw new UsageError(`--target is "baseline" or "candidate", got "${role}"`);
    const loaded = await loadConfig(file, io.env);
    if (!loaded.contracts?.flows.length) throw new UsageError(`${file} has no contract flows ("contracts.flows"): snapshots are taken of contract flows`);
    const plan = { ...loaded, contracts: loaded.contracts };
    const policyRef = values.policy as string | undefined;
    if (policyRef && action === 'record') throw new UsageError('--policy applies to snapshot compare, not record');
    // Loaded before any request: a broken policy is a config error, not a verdict after the traffic.
    const policy = policyRef ? await loadPolicy(policyRef, io.env) : undefined;
    // Everything printed from here on (a preflight failure naming its health path, the comparison, errors) goes through the scrubber.
    io.learnSecrets?.([...loaded.secrets, ...(policy?.secrets ?? [])]);
    const target = openTarget(loaded[role], loaded.contracts.timeouts);
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once('SIGINT', onSignal);
    try {
      await preflight(loaded, target);
      const runId = (values['run-id'] as string | undefined) ?? newRunId();
      checkRunId(runId);
      const ctx = { target, role: role as TargetRole, runId, requestIdHeader: loaded.config.requestIdHeader, signal: ac.signal };
      if (action === 'record') return await record(plan, ctx, io);
      const dir = path.resolve((values.out as string | undefined) ?? loaded.config.outDir, runId);
      const update = Boolean(values['update-snapshots']);
      const startedAt = new Date();
      const t0 = performance.now();
      const steps = await compareSnapshots(plan, { ...ctx, dir, secrets: loaded.secrets, update });
      // Created only now: a compare that stops before sending anything (no snapshots) leaves no empty run folder.
      await mkdir(dir, { recursive: true });
      const run = snapshotRunResult({
        loaded,
        runId,
        target,
        snapshots: plan.contracts.snapshots,
        startedAt,
        durationMs: performance.now() - t0,
        contracts: steps,
        incompleteReason: ac.signal.aborted ? 'interrupted' : undefined,
      });
      const runJson = path.join(dir, 'run.json');
      await writeFile(`${runJson}.tmp`, JSON.stringify(new Scrubber(loaded.secrets).scrubDeep(run), null, 2) + '\n');
      await rename(`${runJson}.tmp`, runJson);
      io.stdout.write(`\n${renderContracts(steps, { color: Boolean(io.stdout.isTTY), baseline: 'snapshot', candidate: target.config.name })}\n\n`);
      io.stdout.write(`run.json: ${displayPath(runJson)}\n`);
      if (update) io.stdout.write(`snapshots rewritten under ${plan.contracts.snapshots}\n`);
      const code = policy ? await applyPolicy({ run, pairs: [], runJson, policy, dryRun: Boolean(values['dry-run']) }, io) : undefined;
      const reports = await renderStoredRun(runJson, { summaryTo: values['summary-to'] as string | undefined });
      io.stdout.write(`reports: ${reports.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
      if (ac.signal.aborted) return ExitCode.inconclusive;
      if (code !== undefined) return code;
      // With --update-snapshots drift is accepted; failed assertions still fail.
      return steps.some((s) => (s.drifted > 0 && !update) || s.assertionFailures.candidate > 0) ? ExitCode.fail : ExitCode.pass;
    } finally {
      process.off('SIGINT', onSignal);
      await target.close();
    }
  },
};

async function preflight(loaded: LoadedConfig, target: LiveTarget): Promise<void> {
  const checks = await runPreflight([target], loaded.config.preflight);
  if (checks.some((c) => !c.ok)) throw new PreflightError(describePreflightFailures(checks));
}

async function record(loaded: LoadedConfig & { contracts: ContractPlan }, ctx: Parameters<typeof recordSnapshots>[1], io: CliIO): Promise<number> {
  const written = await recordSnapshots(loaded, ctx);
  if (ctx.signal?.aborted) {
    io.stderr.write('interrupted: snapshots may be partial\n');
    return ExitCode.inconclusive;
  }
  io.stdout.write(`recorded ${written.length} snapshot${written.length === 1 ? '' : 's'} of ${ctx.target.config.name} under ${loaded.contracts.snapshots}\n`);
  return ExitCode.pass;
}
