import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { EventSourceMessage } from 'eventsource-parser';
import { redactedConfig, type LoadedConfig } from '../config/load.ts';
import { Timeouts } from '../config/schema.ts';
import { runContractPhase } from '../contracts/phase.ts';
import { PreflightError, UsageError } from '../errors.ts';
import { writeFileAtomic } from '../output/atomic.ts';
import { outputFailed } from '../output/fs.ts';
import { planned } from '../load/model.ts';
import { segmentIteration, segmentShare, threadPlanProblem, threadShard } from '../load/segment.ts';
import { healthLimits } from '../load/health.ts';
import { idleVusWarning } from '../load/closed.ts';
import type { PairedSample } from '../metrics/sample.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget } from '../targets/target.ts';
import { Scrubber } from '../secrets/scrubber.ts';
import { toolInfo } from '../version.ts';
import { readWholeWarnings } from './read-whole.ts';
import { createLiveStats, type LiveStats } from './live-stats.ts';
import { collectPairs, readPairsSync } from './pairs.ts';
import { SPOOL_SUFFIX } from './sample-spool.ts';
import { assertNotRunning, clearRunning, markRunning } from './run-lock.ts';
import { mergeShardStates } from './merge-states.ts';
import { RUN_SCHEMA_VERSION, type ContractStepSummary, type PreflightCheckResult, type RunResult } from './result.ts';
import { samplesDigest } from './segment-files.ts';
import { promptsDigest, segmentClock, segmentDir, writeSegmentState, type SegmentRun } from './segment-run.ts';
import { mergeEndpoints, mergeLoadContracts } from './endpoints.ts';
import { withDiffFiles, writeLoadDiffs, type LoadDiffIndex } from './load-diffs.ts';
import { createShard, type ShardState } from './shard.ts';
import { profileWarnings } from './profile-sanity.ts';
import { runWorkers } from './workers.ts';
import { replayFindings } from '../sources/replay/fidelity.ts';
import type { ReplaySource } from '../sources/replay/source.ts';

export interface RunOptions {
  /** Output root (default: the config's outDir). The run writes `<outDir>/<runId>/`. */
  outDir?: string;
  runId?: string;
  /**
   * Abort to interrupt: streams in flight are abandoned, run.json is written with `complete: false`
   * and `incompleteReason` "interrupted", or the abort reason when it is a string (a sweep's step
   * cut short says why).
   */
  signal?: AbortSignal;
  /** A health check missed once and is being retried (one line per check; see targets/preflight.ts). */
  onPreflightRetry?: (notice: string) => void;
  /** Called once the load starts, with the counters a progress display can poll and the run so far (run.json as it stands, not written). */
  onStart?: (stats: LiveStats, soFar: () => RunResult) => void;
  /** Worker threads sharing the load (default 1: the load runs in this thread). */
  workers?: number;
  /** Every measured pair as it completes (without workers). The run itself keeps no samples in memory. */
  onPair?: (pair: PairedSample) => void;
  /** Every SSE event as it is classified (without workers); for benchmarks and tracing. */
  onStreamEvent?: (target: string, ev: EventSourceMessage) => void;
  /**
   * Run one execution segment of the plan (see load/segment.ts): its share of iterations, VUs and
   * arrival slots, aligned to the start signal; written to `<outDir>/<runId>/segments/<K>-of-<N>/`.
   * All segments of a plan need the same `runId` (request ids carry it).
   */
  segment?: SegmentRun;
  /** `parity replay`: a capture drives the schedule (one thread; the config's load model is not used). */
  replay?: ReplaySource;
}

export interface RunOutput {
  result: RunResult;
  dir: string;
  runJson: string;
  /** The measured pairs, read back from samples.ndjson on first access (for tests and small runs; stream the file for big ones). */
  readonly pairs: PairedSample[];
  /** The measured pairs read back line by line, each kept as `view` makes it (any run size: the gates keep a few fields). */
  collectPairs<T>(view: (p: PairedSample) => T): Promise<T[]>;
}

/** Runs broken off by an error (preflight failed, a crash), by the error thrown: see `brokenRunOf`. */
const brokenRuns = new WeakMap<object, RunOutput>();

/**
 * The run an error from `runParity` broke off, if it got as far as writing run.json (marked
 * incomplete, with everything measured until then): so the caller can still give it a verdict,
 * fire its hooks and render its reports.
 */
export function brokenRunOf(err: unknown): RunOutput | undefined {
  return typeof err === 'object' && err !== null ? brokenRuns.get(err) : undefined;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A run id names one folder beside the audit log: no separators (`a/b` would nest the run and move its audit log), no `..`. */
export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId) || runId.includes('..')) {
    throw new UsageError(`--run-id ${JSON.stringify(runId.slice(0, 80))} is not a folder name: use letters, digits, ".", "_" and "-" (up to 128, starting with a letter or digit), e.g. "pr-123"`);
  }
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/**
 * One paired run: preflight → the configured load model, in this thread or spread over worker
 * threads → samples (spooled to disk, written as NDJSON at the end) and summaries (fed as pairs
 * complete) → run.json.
 * Whatever happens after the output folder exists (preflight failure, SIGINT, a crash), run.json
 * is written, marked incomplete, with every sample measured so far.
 */
export async function runParity(loaded: LoadedConfig, opts: RunOptions = {}): Promise<RunOutput> {
  const cfg = loaded.config;
  const runId = opts.runId ?? newRunId();
  checkRunId(runId);
  const segment = opts.segment;
  // Bounds split over more threads than they hold: refused before the folder exists or any traffic (see load/segment.ts).
  const threads = threadPlanProblem(opts.replay ? undefined : cfg.load, cfg.targets, { segments: segment?.count ?? 1, workers: opts.replay ? 1 : Math.max(1, Math.floor(opts.workers ?? 1)) });
  if (threads) throw new UsageError(`${loaded.file}: ${threads}`);
  const dir = segment ? segmentDir(opts.outDir ?? cfg.outDir, runId, segment) : path.resolve(opts.outDir ?? cfg.outDir, runId);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw outputFailed(err, 'the run folder', dir, 'give --out (or outDir) a writable folder');
  }
  const runJson = path.join(dir, 'run.json');
  const samplesFile = 'samples.ndjson';
  // A spool here is a run that did not finish (killed, or still running): this run would append to it and overwrite its run.json.
  const spools = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isFile() && d.name.startsWith(`${samplesFile}.`) && d.name.endsWith(SPOOL_SUFFIX)).map((d) => d.name);
  if (spools.length) {
    throw new UsageError(`the run folder ${dir} holds ${spools.join(', ')}: the measured pairs of a run with this id that did not finish (killed, or still running); nothing was sent. Choose another --run-id, or recover that run first (parity report ${runJson}) and move its folder away`);
  }
  assertNotRunning(dir);
  await markRunning(dir).catch((err: unknown) => {
    throw outputFailed(err, 'the run folder', dir, 'give --out (or outDir) a writable folder');
  });
  const workers = opts.replay ? 1 : Math.max(1, Math.floor(opts.workers ?? 1));
  // One internal signal every probe listens to (so the listener count is ours to lift), following the caller's.
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  // The caller's reason is kept here, not passed on: the probes' requests see a plain abort.
  let callerReason: unknown;
  const follow = () => {
    callerReason = opts.signal?.reason;
    internal.abort();
  };
  if (opts.signal?.aborted) follow();
  opts.signal?.addEventListener('abort', follow, { once: true });
  const signal = internal.signal;
  const stoppedBecause = () => (typeof callerReason === 'string' ? callerReason : 'interrupted');
  const startedAt = new Date();
  const t0 = performance.now();
  // Contract-only configs have no load section: nothing is planned and the load phase is skipped.
  const fullPlan = cfg.load && !opts.replay ? planned(cfg.load) : { iterations: null, durationMs: null };
  const plan = { ...fullPlan, iterations: fullPlan.iterations === null ? null : segmentShare(fullPlan.iterations, segment) };
  const clock = segmentClock(segment);
  const prompts = segment ? promptsDigest(loaded) : '';
  let preflight: PreflightCheckResult[] = [];
  let contracts: ContractStepSummary[] | undefined;
  let states: () => ShardState[] = () => [];
  let incompleteReason: string | undefined = 'running';
  /** The drifting pairs of the diffs sampled under load, once written (`diffs/<n>.json`). */
  let loadDiffs: LoadDiffIndex | undefined;

  const build = (endedAt: string | null): RunResult => {
    const shards = states();
    const m = mergeShardStates({ baseline: loaded.baseline.name, candidate: loaded.candidate.name, scenarios: loaded.scenarios.map((s) => s.name), health: healthLimits(cfg.load?.health) }, shards);
    const sum = (k: keyof typeof m.counts) => m.counts[k];
    const health = m.health;
    const r: RunResult = {
      schemaVersion: RUN_SCHEMA_VERSION,
      tool: toolInfo(),
      runId,
      name: cfg.name,
      configFile: loaded.file,
      startedAt: startedAt.toISOString(),
      endedAt,
      complete: incompleteReason === undefined,
      config: redactedConfig(loaded),
      targets: [loaded.baseline, loaded.candidate].map((t) => ({ name: t.name, role: t.role, baseUrl: t.baseUrl })),
      preflight,
      load: {
        model: opts.replay ? 'replay' : (cfg.load?.model ?? 'none'),
        plannedIterations: plan.iterations,
        plannedDurationMs: plan.durationMs,
        iterations: sum('iterations') - sum('warmupIterations'),
        abandoned: sum('abandoned'),
        durationMs: Math.round(performance.now() - t0),
        dropped: sum('dropped'),
        warmupIterations: sum('warmupIterations'),
        workers,
      },
      summaries: m.summaries.map((s) => ({ scenario: s.scenario, kind: loaded.scenarios.find((x) => x.name === s.scenario)?.type ?? 'stream', baseline: s.baseline, candidate: s.candidate })),
      samples: { file: samplesFile, pairs: sum('pairs') },
      timeline: m.timeline,
    };
    if (segment) r.segment = clock.record(segment, fullPlan.iterations, prompts, endedAt !== null);
    if (health) r.harness = health;
    const idleVus = shards.reduce((a, st) => a + (st.idleVus ?? 0), 0);
    if (idleVus > 0 && cfg.load?.model === 'closed') r.harness = { ...(r.harness ?? { eventLoopDelayMs: null, dispatchLagMs: null, warnings: [] }), warnings: [...(r.harness?.warnings ?? []), idleVusWarning(idleVus, cfg.load)] };
    const warnings = profileWarnings(r.summaries);
    if (warnings.length) r.warnings = warnings;
    // Request and flow scenarios answered with SSE streams, read whole (read-whole.ts); a replay has its own rule (fidelity.ts).
    const readWhole = opts.replay ? [] : readWholeWarnings(r.summaries);
    if (readWhole.length) r.harness = { ...(r.harness ?? { eventLoopDelayMs: null, dispatchLagMs: null, warnings: [] }), warnings: [...(r.harness?.warnings ?? []), ...readWhole] };
    const names = { baseline: loaded.baseline.name, candidate: loaded.candidate.name };
    if (shards.some((st) => st.endpoints)) r.endpoints = mergeEndpoints(shards.map((st) => st.endpoints ?? []), names);
    const underLoad = withDiffFiles(mergeLoadContracts(shards.map((st) => st.loadContracts ?? [])), loadDiffs);
    if (contracts || underLoad.length) r.contracts = [...(contracts ?? []), ...underLoad];
    if (opts.replay) r.replay = { ...opts.replay.feed.report, badEntries: [...opts.replay.feed.report.badEntries], ...(opts.replay.pacing ? { pacing: opts.replay.pacing.toJSON() } : {}) };
    if (incompleteReason !== undefined) r.incompleteReason = incompleteReason;
    // A replay that could not read enough of its capture is incomplete; one that kept too few of its recorded offsets is unhealthy (sources/replay/fidelity.ts).
    const findings = r.replay && endedAt !== null ? replayFindings(r.replay) : undefined;
    if (findings?.incomplete && r.complete) Object.assign(r, { complete: false, incompleteReason: findings.incomplete });
    if (findings?.warnings.length) r.harness = { ...(r.harness ?? { eventLoopDelayMs: null, dispatchLagMs: null, warnings: [] }), warnings: [...(r.harness?.warnings ?? []), ...findings.warnings] };
    return r;
  };
  const scrubber = new Scrubber(loaded.secrets);
  /** run.json gets the scrubbed result, and so does every caller (terminal, verdict, hooks): one copy, no secrets; written whole (temp file + rename). */
  const write = async (raw: RunResult): Promise<RunResult> => {
    const result = scrubber.scrubDeep(raw);
    // A segment's shard states go first: merge reads them once run.json says the segment ended.
    // Scrubbed as run.json is (drift examples and messages may echo a secret); the drifting pairs
    // kept whole stay out: this segment wrote them to its own diffs/, and merge does not read them.
    // Their sha256 go into run.json: merge checks the files in this folder are this segment's own.
    if (segment && result.endedAt !== null && result.segment) {
      const state = await writeSegmentState(dir, scrubber.scrubDeep(states().map(({ loadDiffs: _d, ...st }) => st)));
      const samples = await samplesDigest(path.join(dir, samplesFile));
      result.segment = { ...result.segment, files: samples === undefined ? { state } : { state, samples } };
    }
    await writeFileAtomic(runJson, JSON.stringify(result, null, 2) + '\n', 'run.json');
    if (result.endedAt !== null) await clearRunning(dir);
    return result;
  };
  /** A write that failed during the load (the spool): it stops the run and is thrown once the load has stopped. */
  let fatal: unknown;
  const fail = (err: unknown) => {
    fatal ??= err;
    internal.abort();
  };
  const output = (result: RunResult): RunOutput => {
    let pairs: PairedSample[] | undefined;
    const file = path.join(dir, samplesFile);
    return {
      result,
      dir,
      runJson,
      // A run broken off before its load (preflight) has no samples file.
      get pairs() {
        return (pairs ??= existsSync(file) ? readPairsSync(file) : []);
      },
      collectPairs: async (view) => (existsSync(file) || existsSync(file + SPOOL_SUFFIX) ? collectPairs(file, view) : []),
    };
  };

  // Written first, so even a killed process leaves a run.json that says it did not finish.
  await write(build(null)).catch((err: unknown) => {
    throw outputFailed(err, 'run.json in', dir, 'give --out (or outDir) a writable folder');
  });
  try {
    const timeouts = cfg.load?.timeouts ?? loaded.contracts?.timeouts ?? Timeouts.parse({});
    const [baseline, candidate] = [openTarget(loaded.baseline, timeouts), openTarget(loaded.candidate, timeouts)];
    try {
      preflight = await runPreflight([baseline, candidate], cfg.preflight, signal, opts.onPreflightRetry);
      // Stopped while preflight waited to retry: interrupted (exit 2), not a failed health check (its retries were cut short).
      if (signal.aborted) {
        incompleteReason = stoppedBecause();
        return output(await write(build(new Date().toISOString())));
      }
      if (preflight.some((p) => !p.ok)) {
        incompleteReason = 'preflight failed';
        throw new PreflightError(describePreflightFailures(preflight));
      }
      // Contract flows are not load: one segment (the first) runs them, as one machine would once.
      if (loaded.contracts && loaded.contracts.flows.length > 0 && (!segment || segment.index === 0)) {
        contracts = await runContractPhase({ ...loaded, contracts: loaded.contracts }, { baseline, candidate, runId, dir, requestIdHeader: cfg.requestIdHeader, secrets: loaded.secrets, signal });
      }
    } finally {
      await Promise.all([baseline.close(), candidate.close()]).catch(() => undefined);
    }
    const load = cfg.load;
    if (!load || loaded.scenarios.length === 0) {
      incompleteReason = signal.aborted ? 'interrupted' : undefined;
      const result = await write(build(new Date().toISOString()));
      return output(result);
    }
    const stats = createLiveStats(loaded.baseline.name, loaded.candidate.name, { iterations: plan.iterations, duration: plan.durationMs });
    opts.onStart?.(stats, () => build(null));
    const files = { samplesFile: path.join(dir, samplesFile), warmupFile: path.join(dir, 'warmup.ndjson') };
    if (workers === 1) {
      let next = 0;
      const startAt = clock.startAt();
      clock.started(Math.max(startAt, performance.now()));
      const shard = createShard({
        loaded,
        runId,
        shard: threadShard(segment, 0, 1),
        startAt,
        wallClockOffsetMs: clock.wallClockOffsetMs,
        ...files,
        signal,
        claimIteration: () => segmentIteration(segment, next++),
        stats,
        onPair: opts.onPair,
        onStreamEvent: opts.onStreamEvent,
        fail,
        replay: opts.replay,
      });
      states = () => [shard.state()];
      await shard.run();
      if (fatal) throw fatal;
    } else {
      const run = runWorkers({ loaded, runId, workers, dir, ...files, signal, stats, segment, startAt: clock.startAt(), wallClockOffsetMs: clock.wallClockOffsetMs });
      run.started.then((at) => clock.started(at), () => undefined);
      states = run.states;
      await run.done;
    }
    const drifting = states().flatMap((st) => st.loadDiffs ?? []);
    if (drifting.length) loadDiffs = await writeLoadDiffs(dir, drifting, scrubber, { baseline: loaded.baseline.name, candidate: loaded.candidate.name });
    incompleteReason = signal.aborted ? stoppedBecause() : undefined;
  } catch (err) {
    if (incompleteReason === 'running') incompleteReason = `harness error: ${(err as Error).message}`;
    const result = await write(build(new Date().toISOString()));
    if (typeof err === 'object' && err !== null) brokenRuns.set(err, output(result));
    throw err;
  }
  const result = await write(build(new Date().toISOString()));
  return output(result);
}
