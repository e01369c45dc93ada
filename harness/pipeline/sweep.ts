import { sweepVerdict } from '../sweep/verdict.ts';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { LoadConfig } from '../config/schema.ts';
import { ConfigError, ExitCode, UsageError } from '../errors.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import { gatePair } from '../gates/metrics.ts';
import { parseSlo } from '../gates/slo.ts';
import type { CliIO } from '../io.ts';
import { writeFileAtomic } from '../output/atomic.ts';
import { outputFailed } from '../output/fs.ts';
import { renderSweepHtml, renderSweepMarkdown } from '../reporters/sweep.ts';
import { newRunId, runParity } from '../run/engine.ts';
import { bothPast, judgeCapacity, kneeOf, sweepRates, type StepStatus } from '../sweep/capacity.ts';
import { sloPolicy } from '../sweep/early-stop.ts';
import { EarlyStop } from '../sweep/early-stop-watch.ts';
import type { SweepResult, SweepSide, SweepStep } from '../sweep/result.ts';
import { describeSide, judgeSide, sideFigures } from '../sweep/side.ts';
import { preparePolicy } from './judge.ts';
import { renderStoredRun } from './render.ts';

export interface SweepOptions {
  from: number;
  to: number;
  steps: number;
  /** Each step's duration and warm-up (default: the config's constant-arrival-rate load, else 30 s and 0). */
  durationMs?: number | undefined;
  warmupMs?: number | undefined;
  policy?: string | undefined;
  outDir?: string | undefined;
  sweepId?: string | undefined;
  quiet?: boolean | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * config + policy → one constant-arrival-rate run per rate (each a normal run folder) → each
 * target's SLO gates per step → knees → capacity gates → sweep.json, sweep.html, sweep.md → exit
 * code by the capacity gates (0 pass, 1 fail, 2 inconclusive; 0 without capacity gates once every
 * step completed). Stops once both targets are past their knee: a step is checked as it runs and
 * cut short once both targets' SLO gates already fail (sweep/early-stop.ts); a step both failed
 * ends the sweep either way.
 */
export async function executeSweep(file: string, opts: SweepOptions, io: CliIO): Promise<number> {
  const env = opts.env ?? io.env;
  const loaded = await loadConfig(file, env);
  if (!loaded.config.load || loaded.scenarios.length === 0) throw new UsageError(`parity sweep needs stream scenarios and a load section in ${file}`);
  const policy = opts.policy ? await preparePolicy(opts.policy, loaded, env) : undefined;
  // Everything printed from here on (a preflight that failed naming its health path, errors) goes through the scrubber.
  io.learnSecrets?.([...loaded.secrets, ...(policy?.secrets ?? [])]);
  const split = policy ? splitGates(policy) : undefined;
  const base = loaded.config.load;
  const arrival = base.model === 'constant-arrival-rate' ? base : undefined;
  const timeUnit = arrival?.timeUnit ?? 1000;
  const duration = opts.durationMs ?? arrival?.duration ?? 30_000;
  const warmup = opts.warmupMs ?? base.warmup ?? 0;
  if (warmup >= duration) throw new UsageError(`--warmup (${warmup} ms) must be shorter than each step (${duration} ms)`);
  const rates = sweepRates(opts.from, opts.to, opts.steps);
  const sweepId = opts.sweepId ?? `sweep-${newRunId()}`;
  const dir = path.resolve(opts.outDir ?? loaded.config.outDir, sweepId);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw outputFailed(err, 'the sweep folder', dir, 'give --out (or outDir) a writable folder');
  });
  const startedAt = new Date().toISOString();
  const measuredSec = (duration - warmup) / 1000;
  const slo = policy?.slo ? parseSlo(policy.slo) : undefined;
  // A step is checked about ten times over its measured part (bounded both ways).
  const checkEveryMs = Math.min(5_000, Math.max(250, (duration - warmup) / 10));

  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const steps: SweepStep[] = [];
  let stoppedEarly: string | null = null;
  const early = split ? new EarlyStop(split.slo, env, (line) => io.stderr.write(line)) : undefined;
  await early?.ready();
  try {
    for (const [k, rate] of rates.entries()) {
      const load: LoadConfig = { model: 'constant-arrival-rate', rate, timeUnit, duration, warmup, maxInFlight: arrival?.maxInFlight ?? 1000, timeouts: base.timeouts };
      const stepLoaded: LoadedConfig = { ...loaded, config: { ...loaded.config, load } };
      const runId = `step-${String(k + 1).padStart(2, '0')}-rate-${rate}`;
      // The step's own signal: Ctrl-C stops it as interrupted; the early-stop watch cuts it with its reason.
      const stepAc = new AbortController();
      const follow = () => stepAc.abort();
      ac.signal.addEventListener('abort', follow, { once: true });
      const watch = early?.watch({ everyMs: checkEveryMs, warmupMs: warmup, abort: (reason) => stepAc.abort(reason) });
      const out = await runParity(stepLoaded, {
        outDir: dir,
        runId,
        signal: stepAc.signal,
        ...(watch ? { onPair: (p) => watch.add(gatePair(p)), onStart: (_stats, soFar) => watch.started(soFar) } : {}),
      }).finally(() => {
        watch?.stop();
        ac.signal.removeEventListener('abort', follow);
      });
      const cut = ac.signal.aborted ? null : (watch?.cut ?? null);
      // A step cut short is judged, and its rates counted, over the measured time it ran.
      // (a cut while the step's last streams drain, after its schedule ended, leaves the planned time).
      const seconds = cut ? Math.min(Math.max(cut.atMs, 1) / 1000, measuredSec) : measuredSec;
      const pairs = await out.collectPairs(gatePair);
      const side = (role: 'baseline' | 'candidate'): SweepSide => {
        const samples = pairs.map((p) => p[role]);
        const judged = split ? judgeSide(split.slo, out.result, pairs, role, rate * (1000 / timeUnit), seconds) : { status: null, reasons: [] };
        return { ...judged, ...sideFigures(samples, seconds, slo) };
      };
      const step: SweepStep = {
        rate,
        run: runId,
        complete: out.result.complete,
        stoppedEarly: cut?.reason ?? null,
        measuredMs: Math.round(seconds * 1000),
        baseline: side('baseline'),
        candidate: side('candidate'),
      };
      steps.push(step);
      await renderStoredRun(out.runJson, {});
      if (!opts.quiet) io.stdout.write(`step ${k + 1}/${rates.length} rate ${rate}/${timeUnit / 1000}s: baseline ${describeSide(step.baseline)} · candidate ${describeSide(step.candidate)}${cut ? ` · cut short after ${Math.round(step.measuredMs / 100) / 10} s measured: both already fail` : ''}\n`);
      if (ac.signal.aborted) {
        stoppedEarly = 'interrupted';
        break;
      }
      if (split && k < rates.length - 1 && (cut || bothPast({ baseline: step.baseline.status!, candidate: step.candidate.status! }))) {
        stoppedEarly = `both targets failed their SLO gates at rate ${rate}${cut ? ' (the step was cut short once both already failed)' : ''}: past their knees, the higher rates were not run`;
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await early?.close();
  }

  const kneeFor = (role: 'baseline' | 'candidate') => kneeOf(steps.map((s) => ({ rate: s.rate, status: s[role].status ?? 'inconclusive' })));
  const knees = { baseline: kneeFor('baseline'), candidate: kneeFor('candidate') };
  const ratio = knees.baseline.rate && knees.candidate.rate !== null ? knees.candidate.rate / knees.baseline.rate : null;
  const gates = (split?.capacity ?? []).map((g) => {
    const j = judgeCapacity(g.threshold.op, g.threshold.limit, g.threshold.comparison === 'ratio' ? 'ratio' : 'absolute', knees.baseline, knees.candidate);
    // An interrupted sweep never passes: its knees may only look high because the steps above were not run.
    const status: StepStatus = stoppedEarly === 'interrupted' && j.status === 'pass' ? 'inconclusive' : j.status;
    return { id: g.id, description: g.description, ...j, status };
  });
  const { verdict, heldBack } = sweepVerdict(gates, steps, stoppedEarly);
  const result: SweepResult = {
    sweepId,
    name: loaded.config.name,
    configFile: loaded.file,
    policy: policy?.name ?? null,
    slo: policy?.slo ?? null,
    startedAt,
    endedAt: new Date().toISOString(),
    timeUnitMs: timeUnit,
    stepDurationMs: duration,
    warmupMs: warmup,
    planned: rates,
    steps,
    stoppedEarly,
    knees: { ...knees, ratio },
    gates,
    verdict,
    ...(heldBack.length ? { heldBack } : {}),
  };
  // Whole or not at all (temp + rename; a full disk is PARITY_OUTPUT_FAILED, exit 3): the verdict is in sweep.json.
  await writeFileAtomic(path.join(dir, 'sweep.json'), JSON.stringify(result, null, 2) + '\n', 'the sweep result');
  await writeFileAtomic(path.join(dir, 'sweep.html'), renderSweepHtml(result), 'the sweep report');
  const md = renderSweepMarkdown(result);
  await writeFileAtomic(path.join(dir, 'sweep.md'), md, 'the sweep report');
  io.stdout.write(`\n${md}\nsweep: ${path.relative(process.cwd(), dir) || dir}/sweep.json, sweep.html, sweep.md\n`);
  if (verdict === 'fail') return ExitCode.fail;
  if (verdict === 'inconclusive' || heldBack.length) return ExitCode.inconclusive;
  return ExitCode.pass;
}

/** The policy's capacity gates, and the SLO gates a target is judged on alone (absolute, severity fail). */
function splitGates(policy: LoadedPolicy): { capacity: LoadedPolicy['gates']; slo: LoadedPolicy } {
  const capacity = policy.gates.filter((g) => g.metric.name === 'capacity');
  const slo = sloPolicy(policy);
  if (slo.gates.length === 0) {
    throw new ConfigError(policy.file, [
      { path: 'gates', message: "a sweep finds each target's knee with SLO gates: absolute gates of severity fail, e.g. first_content.p95 <= 500ms or goodput >= 95%; this policy has none" },
    ]);
  }
  return { capacity, slo };
}
