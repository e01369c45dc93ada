import { mkdir, writeFile } from 'node:fs/promises';
import { Scrubber } from '../secrets/scrubber.ts';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { ContractPlan, TargetRole } from '../contracts/compile.ts';
import { compareSnapshots, recordSnapshots } from '../contracts/snapshots.ts';
import { ExitCode, PreflightError, UsageError } from '../errors.ts';
import { renderContracts } from '../reporters/contracts.ts';
import { checkRunId, newRunId } from '../run/engine.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget, type LiveTarget } from '../targets/target.ts';
import type { CliIO, Command } from './command.ts';

/**
 * `parity snapshot record <config>`: store the baseline's responses to every contract step.
 * `parity snapshot compare <config>`: run the flows on a target (the candidate by default) and
 * diff every step against its snapshot; exit 1 on drift or failed assertions.
 */
export const snapshotCommand: Command = {
  usage: 'snapshot record|compare <config>',
  summary: 'record baseline contract responses, or compare a target against them',
  options: {
    target: { type: 'string' },
    'update-snapshots': { type: 'boolean', default: false },
    out: { type: 'string' },
    'run-id': { type: 'string' },
  },
  async execute({ values, positionals }, io) {
    const [action, file] = positionals;
    if ((action !== 'record' && action !== 'compare') || !file) throw new UsageError('usage: parity snapshot record <config> | parity snapshot compare <config> [--target baseline|candidate] [--update-snapshots]');
    const role = (values.target as string | undefined) ?? (action === 'record' ? 'baseline' : 'candidate');
    if (role !== 'baseline' && role !== 'candidate') throw new UsageError(`--target is "baseline" or "candidate", got "${role}"`);
    const loaded = await loadConfig(file, io.env);
    if (!loaded.contracts) throw new UsageError(`${file} has no "contracts" section: snapshots are taken of contract flows`);
    const plan = { ...loaded, contracts: loaded.contracts };
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
      const steps = await compareSnapshots(plan, { ...ctx, dir, secrets: loaded.secrets, update });
      const out = path.join(dir, 'contracts.json');
      // Created only now: a compare that stops before sending anything (no snapshots) leaves no empty run folder.
      await mkdir(dir, { recursive: true });
      await writeFile(out, JSON.stringify(new Scrubber(loaded.secrets).scrubDeep({ runId, mode: 'snapshot-compare', target: target.config.name, snapshots: plan.contracts.snapshots, contracts: steps }), null, 2) + '\n');
      io.stdout.write(`\n${renderContracts(steps, { color: Boolean(io.stdout.isTTY), baseline: 'snapshot', candidate: target.config.name })}\n\n`);
      io.stdout.write(`contracts.json: ${path.relative(process.cwd(), out) || out}\n`);
      if (update) io.stdout.write(`snapshots rewritten under ${plan.contracts.snapshots}\n`);
      if (ac.signal.aborted) return ExitCode.inconclusive;
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
