import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { redactedConfig, type LoadedConfig } from '../config/load.ts';
import { PreflightError } from '../errors.ts';
import { runClosed } from '../load/closed.ts';
import { planIteration } from '../load/plan.ts';
import type { PairedSample, StreamSample } from '../metrics/sample.ts';
import { summarize } from '../metrics/summary.ts';
import { buildTimeline } from '../metrics/timeline.ts';
import { probeStream } from '../probes/stream-probe.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget, type LiveTarget } from '../targets/target.ts';
import { TOOL_VERSION } from '../version.ts';
import { createLiveStats, recordSample, type LiveStats } from './live-stats.ts';
import { RUN_SCHEMA_VERSION, type PreflightCheckResult, type RunResult } from './result.ts';

export interface RunOptions {
  /** Output root (default: the config's outDir). The run writes `<outDir>/<runId>/`. */
  outDir?: string;
  runId?: string;
  /** Abort to interrupt: streams in flight are abandoned, run.json is written with `complete: false`. */
  signal?: AbortSignal;
  /** Called once the load starts, with the counters a progress display can poll. */
  onStart?: (stats: LiveStats) => void;
}

export interface RunOutput {
  result: RunResult;
  dir: string;
  runJson: string;
  pairs: PairedSample[];
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/**
 * One paired run: preflight → closed load of paired iterations → samples (streamed to NDJSON)
 * → summaries → run.json. Whatever happens after the output folder exists (preflight failure,
 * SIGINT, a crash), run.json is written, marked incomplete, with every sample measured so far.
 */
export async function runParity(loaded: LoadedConfig, opts: RunOptions = {}): Promise<RunOutput> {
  const cfg = loaded.config;
  const runId = opts.runId ?? newRunId();
  const dir = path.resolve(opts.outDir ?? cfg.outDir, runId);
  await mkdir(dir, { recursive: true });
  const runJson = path.join(dir, 'run.json');
  const samplesFile = 'samples.ndjson';
  // One internal signal every probe listens to (so the listener count is ours to lift), following the caller's.
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  if (opts.signal?.aborted) internal.abort();
  opts.signal?.addEventListener('abort', () => internal.abort(), { once: true });
  const signal = internal.signal;
  const startedAt = new Date();
  const t0 = performance.now();
  const pairs: PairedSample[] = [];
  let preflight: PreflightCheckResult[] = [];
  let abandoned = 0;
  let iterations = 0;
  let incompleteReason: string | undefined = 'running';

  const build = (endedAt: string | null): RunResult => {
    const scenarios = loaded.scenarios.map((s) => {
      const mine = pairs.filter((p) => p.scenario === s.name);
      return {
        scenario: s.name,
        baseline: summarize(loaded.baseline.name, 'baseline', s.name, mine.map((p) => p.baseline)),
        candidate: summarize(loaded.candidate.name, 'candidate', s.name, mine.map((p) => p.candidate)),
      };
    });
    const r: RunResult = {
      schemaVersion: RUN_SCHEMA_VERSION,
      tool: { name: 'parity', version: TOOL_VERSION },
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
        model: cfg.load.model,
        plannedIterations: cfg.load.iterations ?? null,
        plannedDurationMs: cfg.load.duration ?? null,
        iterations,
        abandoned,
        durationMs: Math.round(performance.now() - t0),
      },
      summaries: scenarios,
      samples: { file: samplesFile, pairs: pairs.length },
      timeline: buildTimeline([loaded.baseline, loaded.candidate], pairs.flatMap((p) => [p.baseline, p.candidate])),
    };
    if (incompleteReason !== undefined) r.incompleteReason = incompleteReason;
    return r;
  };
  const write = async (result: RunResult) => writeFile(runJson, scrub(JSON.stringify(result, null, 2), loaded.secrets) + '\n');

  // Written first, so even a killed process leaves a run.json that says it did not finish.
  await write(build(null));
  const baseline = openTarget(loaded.baseline, cfg.load.timeouts);
  const candidate = openTarget(loaded.candidate, cfg.load.timeouts);
  const out = createWriteStream(path.join(dir, samplesFile));
  try {
    preflight = await runPreflight([baseline, candidate], cfg.preflight, signal);
    if (preflight.some((p) => !p.ok)) {
      incompleteReason = 'preflight failed';
      throw new PreflightError(describePreflightFailures(preflight));
    }
    const stats = createLiveStats(baseline.config.name, candidate.config.name, cfg.load);
    opts.onStart?.(stats);
    const iterate = async (iteration: number, vu: number) => {
      iterations++;
      stats.iterations++;
      const plan = planIteration(loaded.scenarios, iteration, runId);
      const probe = (t: LiveTarget, i: 0 | 1) => {
        const { method, path: p } = t.pathFor(plan.scenario.route);
        const counters = stats.targets[i];
        counters.inFlight++;
        return probeStream(
          t.pool,
          t.classify,
          {
            target: t.config.name,
            role: t.config.role,
            scenario: plan.scenario.name,
            requestId: plan.requestId,
            iteration,
            vu,
            promptIndex: plan.promptIndex,
            expectsCitations: plan.prompt.expectsCitations,
            method,
            path: p,
            headers: {
              ...t.config.headers,
              ...plan.scenario.headers,
              'content-type': 'application/json',
              accept: 'text/event-stream',
              [cfg.requestIdHeader]: plan.requestId,
            },
            body: plan.body,
          },
          cfg.load.timeouts,
          signal,
        ).then((s) => {
          counters.inFlight--;
          if (!s.aborted) recordSample(counters, s);
          return s;
        });
      };
      // Both requests leave in the same tick: the pair sees the same moment.
      const [b, c] = await Promise.all([probe(baseline, 0), probe(candidate, 1)]);
      if (b.aborted || c.aborted) {
        abandoned += 2;
        return;
      }
      const pair: PairedSample = { requestId: plan.requestId, scenario: plan.scenario.name, iteration, baseline: strip(b), candidate: strip(c) };
      pairs.push(pair);
      out.write(JSON.stringify(pair) + '\n');
    };
    await runClosed(cfg.load, iterate, signal);
    incompleteReason = signal.aborted ? 'interrupted' : undefined;
  } catch (err) {
    if (incompleteReason === 'running') incompleteReason = `harness error: ${(err as Error).message}`;
    await finish();
    throw err;
  }
  const result = await finish();
  return { result, dir, runJson, pairs };

  async function finish(): Promise<RunResult> {
    await new Promise<void>((resolve) => out.end(resolve));
    await Promise.all([baseline.close(), candidate.close()]).catch(() => undefined);
    const result = build(new Date().toISOString());
    await write(result);
    return result;
  }
}

function strip(s: StreamSample & { aborted?: boolean }): StreamSample {
  const { aborted: _a, ...rest } = s;
  return rest;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

