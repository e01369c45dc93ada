import { createHash } from 'node:crypto';
import { loadConfig, redactedConfig, type LoadedConfig } from '../config/load.ts';
import { ExitCode, ParityError, UsageError } from '../errors.ts';
import { segmentLabel, segmentPlanProblem, segmentRunId, startSignalProblem } from '../load/segment.ts';
import { planned } from '../load/model.ts';
import { gatePair } from '../gates/metrics.ts';
import { hookPhaseActive } from '../hooks/signals.ts';
import { reportError, type CliIO } from '../io.ts';
import { renderContracts } from '../reporters/contracts.ts';
import { startProgress } from '../reporters/progress.ts';
import { renderSummary } from '../reporters/terminal.ts';
import { checkProfiles } from '../run/check-profile.ts';
import { brokenRunOf, runParity, type RunOutput } from '../run/engine.ts';
import type { SegmentRun } from '../run/segment-run.ts';
import { applyPolicy, preparePolicy } from './judge.ts';
import { prepareServerMetrics } from '../run/server-metrics.ts';
import { checkGateSeries } from '../gates/server.ts';
import { renderAfterVerdict, renderStoredRun } from './render.ts';
import { displayPath } from '../paths.ts';
import { scrubbingIO } from '../secrets/io.ts';
import { Scrubber } from '../secrets/scrubber.ts';
import { describeReplay } from '../sources/replay/feed.ts';
import type { ReplaySource } from '../sources/replay/source.ts';

export interface RunCommandOptions {
  outDir?: string | undefined;
  runId?: string | undefined;
  quiet?: boolean | undefined;
  /** Worker threads sharing the load (`--workers N`, default 1). */
  workers?: number | undefined;
  summaryTo?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Policy file or preset: evaluated at the end of the run (exit code by verdict), hooks fired. */
  policy?: string | undefined;
  /** Print the hooks the verdict would fire; run none. */
  dryRun?: boolean | undefined;
  /** Send one stream to each target and show what its profile reads; no run. */
  checkProfile?: boolean | undefined;
  /** Run one execution segment of the plan (`--segment K/N`, `--start-at`). */
  segment?: SegmentRun | undefined;
  onOutput?: (out: RunOutput) => void;
  /** `parity replay`: turns the loaded config into a replay of a capture (checked before any traffic). */
  replay?: (loaded: LoadedConfig) => Promise<{ loaded: LoadedConfig; source: ReplaySource }>;
}

/** `parity run --check-profile`: one stream per target, what each profile read; exit 0, or 3 naming each field it missed. */
async function checkProfileCommand(loaded: LoadedConfig, io: CliIO): Promise<number> {
  const checks = await checkProfiles(loaded);
  if (checks.length === 0) throw new UsageError(`${loaded.file} has no stream scenario to check a profile with`);
  for (const c of checks) {
    io.stdout.write(`${c.target} (${c.role}): ${c.outcome}${c.status !== null ? `, HTTP ${c.status}` : ''}; ${c.events} events, ${c.contentChunks} with content (${c.contentChars} chars), ${c.citations} citations${c.expectsCitations ? ' (prompt expects citations)' : ''}\n`);
    io.stdout.write(`  content read: ${JSON.stringify(c.text)}\n`);
    for (const p of c.problems) io.stdout.write(`  ✖ ${p}\n`);
  }
  const bad = checks.filter((c) => c.problems.length);
  if (!bad.length) {
    io.stdout.write('profiles read both streams\n');
    return ExitCode.pass;
  }
  throw new ParityError('PARITY_PROFILE_MISMATCH', `${loaded.file}: the stream profile of ${bad.map((c) => `target "${c.target}" (${c.problems.map((p) => p.split(':')[0]).join(', ')})`).join(' and ')} did not read its stream; fix targets[].stream (see "Stream profiles" in the README)`);
}

/**
 * config → run → summary on the terminal → verdict and hooks (with a policy) → reports → exit code.
 * SIGINT/SIGTERM finish run.json as incomplete. A run broken off by an error after run.json exists
 * (preflight failed, a crash) still gets its verdict (never a pass), its hooks and its reports, then
 * exits 3 with the error.
 */
export async function executeRun(file: string, opts: RunCommandOptions, rawIO: CliIO): Promise<number> {
  const configured = await loadConfig(file, opts.env ?? rawIO.env, { replay: opts.replay !== undefined });
  const replay = opts.replay ? await opts.replay(configured) : undefined;
  const loaded = replay?.loaded ?? configured;
  if (opts.checkProfile) return checkProfileCommand(loaded, rawIO);
  const policy = opts.policy ? await preparePolicy(opts.policy, loaded, opts.env ?? rawIO.env) : undefined;
  // Everything printed from here on goes through the scrubber: config secrets and the policy's hook secrets
  // (and the CLI's terminal learns them, for the error this may end with).
  rawIO.learnSecrets?.([...loaded.secrets, ...(policy?.secrets ?? [])]);
  const io = scrubbingIO(rawIO, new Scrubber([...loaded.secrets, ...(policy?.secrets ?? [])]));
  // Server-side metrics: bad PromQL stops here, before any traffic; the window opens with the load.
  if (policy) checkGateSeries(policy, loaded);
  const server = await prepareServerMetrics(loaded, (line) => io.stderr.write(line));
  const runId = opts.segment ? segmentRunIdFor(opts.segment, opts.runId, loaded, replay !== undefined) : opts.runId;
  const ac = new AbortController();
  const onSignal = () => {
    // While hooks run, hooks/signals.ts decides (wait for the running hook, or record it abandoned).
    if (hookPhaseActive()) return;
    if (ac.signal.aborted) process.exit(ExitCode.inconclusive);
    io.stderr.write('\ninterrupted: finishing run.json with what was measured (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stopProgress: (() => void) | undefined;
  /** run.json's path, the verdict and hooks (with a policy), the reports: for every run that wrote a run.json. */
  const conclude = async (out: RunOutput): Promise<number | undefined> => {
    if (opts.segment) io.stdout.write(`segment ${segmentLabel(opts.segment)} of run ${out.result.runId}${out.result.segment?.startOffsetMs ? `, started ${out.result.segment.startOffsetMs} ms after --start-at` : ''}\n`);
    io.stdout.write(`run.json: ${displayPath(out.runJson)}\n`);
    // The verdict and hook results go into run.json first; the reports render the final run.json.
    const code = policy ? await applyPolicy({ run: out.result, pairs: await out.collectPairs(gatePair), runJson: out.runJson, policy, dryRun: Boolean(opts.dryRun), secrets: loaded.secrets }, io) : undefined;
    // From the stored run.json (final, scrubbed of secrets), exactly as `parity report` renders it.
    // Once a verdict exists, a report that cannot be written is reported and the verdict's code stands.
    const reports = code === undefined ? await renderStoredRun(out.runJson, { summaryTo: opts.summaryTo }) : await renderAfterVerdict(out.runJson, { summaryTo: opts.summaryTo }, io);
    if (reports) io.stdout.write(`reports: ${reports.map((f) => displayPath(f)).join(', ')}\n`);
    return code;
  };
  try {
    const out = await runParity(loaded, {
      outDir: opts.outDir,
      runId,
      workers: opts.workers,
      segment: opts.segment,
      signal: ac.signal,
      replay: replay?.source,
      onPreflightRetry: (notice) => io.stderr.write(`parity: ${notice}\n`),
      onStart: (stats) => {
        server.start();
        if (!opts.quiet) stopProgress = startProgress(stats, { tty: Boolean(io.stdout.isTTY), write: (t) => io.stdout.write(t) });
      },
    });
    stopProgress?.();
    stopProgress = undefined;
    await server.finish(out);
    opts.onOutput?.(out);
    if (loaded.scenarios.length > 0 || !out.result.contracts) io.stdout.write(`\n${renderSummary(out.result, { color: Boolean(io.stdout.isTTY), verdict: !policy })}\n\n`);
    if (out.result.replay) io.stdout.write(describeReplay(out.result.replay));
    if (out.result.contracts) {
      const names = { baseline: loaded.baseline.name, candidate: loaded.candidate.name };
      io.stdout.write(`\n${renderContracts(out.result.contracts, { color: Boolean(io.stdout.isTTY), ...names })}\n\n`);
      if (loaded.scenarios.length === 0 && !out.result.complete) io.stdout.write(`INCOMPLETE: ${out.result.incompleteReason ?? 'unknown'}\n`);
    }
    const code = await conclude(out);
    if (code !== undefined) return code;
    return out.result.complete ? ExitCode.pass : ExitCode.inconclusive;
  } catch (err) {
    const broken = brokenRunOf(err);
    if (!broken) throw err;
    stopProgress?.();
    stopProgress = undefined;
    await server.finish(broken);
    const code = reportError(err, io);
    io.stdout.write(`\nINCOMPLETE: ${broken.result.incompleteReason ?? 'unknown'}\n`);
    await conclude(broken);
    return code;
  } finally {
    stopProgress?.();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Segments of one plan share a run id (request ids carry it): `--run-id`, or one derived alike on
 * every machine from `--start-at` and the config. A plan that cannot be cut as asked stops here,
 * before any traffic.
 */
function segmentRunIdFor(segment: SegmentRun, runId: string | undefined, loaded: Awaited<ReturnType<typeof loadConfig>>, replay: boolean): string {
  const problem = segmentPlanProblem(loaded.config.load, segment);
  if (problem) throw new UsageError(`${loaded.file}: ${problem}`);
  // A replay's schedule is its capture's, not the config's load (which it does not run).
  const late = startSignalProblem(segment.startAtMs, Date.now(), loaded.config.load && !replay ? planned(loaded.config.load).durationMs : null);
  if (late) throw new UsageError(late);
  if (runId) return runId;
  if (segment.startAtMs === undefined) {
    throw new UsageError('segments of one plan must share a run id: pass --start-at <ISO time> (the run id is derived from it and the config) or the same --run-id to every segment');
  }
  return segmentRunId(segment.startAtMs, createHash('sha256').update(JSON.stringify(redactedConfig(loaded))).digest('hex'));
}
