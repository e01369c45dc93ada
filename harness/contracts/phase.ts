import type { LoadedConfig } from '../config/load.ts';
import type { ContractStepSummary } from '../run/result.ts';
import { openTarget, type LiveTarget } from '../targets/target.ts';
import { writeArtifacts } from './artifacts.ts';
import type { CompiledFlow, ContractPlan } from './compile.ts';
import { compareResponses } from './normalize.ts';
import { runFlows, type Side } from './runner.ts';
import { ContractTally, summarizeStep, type StepVerdict } from './tally.ts';

export interface ContractPhaseContext {
  baseline: LiveTarget;
  candidate: LiveTarget;
  runId: string;
  /** The run's output folder; artifacts go to `<dir>/contracts/`. */
  dir: string;
  requestIdHeader: string;
  secrets: readonly string[];
  signal?: AbortSignal;
}

/**
 * The contract phase of a run: every flow on baseline and candidate (and the noise replica),
 * paired step by step, diffed, noise excluded, summarized per step, artifacts written.
 */
export async function runContractPhase(loaded: LoadedConfig & { contracts: ContractPlan }, ctx: ContractPhaseContext): Promise<ContractStepSummary[]> {
  const plan = loaded.contracts;
  const replicas = new Map<string, LiveTarget>();
  const replicaFor = (url: string) => {
    let t = replicas.get(url);
    if (!t) {
      t = openTarget({ ...ctx.baseline.config, name: `${ctx.baseline.config.name}#2`, baseUrl: url }, plan.timeouts);
      replicas.set(url, t);
    }
    return t;
  };
  const sides = (flow: CompiledFlow): Side[] => {
    const s: Side[] = [
      { name: 'baseline', target: ctx.baseline, routes: 'baseline' },
      { name: 'candidate', target: ctx.candidate, routes: 'candidate' },
    ];
    if (flow.noise) s.push({ name: 'replica', target: flow.noise === 'same' ? ctx.baseline : replicaFor(flow.noise.baselineUrl), routes: 'baseline' });
    return s;
  };
  const tally = new ContractTally();
  try {
    await runFlows(plan, {
      runId: ctx.runId,
      requestIdHeader: ctx.requestIdHeader,
      timeouts: plan.timeouts,
      signal: ctx.signal,
      sides,
      onStep(obs) {
        const opts = { headers: plan.headers, rules: obs.step.rules, body: !obs.step.stream };
        const b = obs.responses.baseline!;
        const diffs = compareResponses(b, obs.responses.candidate!, opts);
        const noise = obs.responses.replica ? compareResponses(b, obs.responses.replica, opts) : undefined;
        tally.add(obs, diffs, noise);
      },
    });
  } finally {
    await Promise.all([...replicas.values()].map((t) => t.close())).catch(() => undefined);
  }
  const verdicts = orderedVerdicts(plan, tally);
  await writeArtifacts(verdicts, ctx.dir, ctx.secrets, { baseline: ctx.baseline.config.name, candidate: ctx.candidate.config.name });
  return verdicts.map((v) => v.summary);
}

/** Step verdicts in config order (flows run concurrently, so observation order is not it). */
export function orderedVerdicts(plan: ContractPlan, tally: ContractTally): StepVerdict[] {
  return plan.flows.flatMap((f) => f.steps.flatMap((s) => {
    const t = tally.steps.get(`${f.name}\u0000${s.name}`);
    return t ? [summarizeStep(t)] : [];
  }));
}
