import type { LoadedConfig } from '../config/load.ts';
import type { ContractStepSummary } from '../run/result.ts';
import type { LiveTarget } from '../targets/target.ts';
import { writeArtifacts } from './artifacts.ts';
import type { CompiledFlow, ContractPlan } from './compile.ts';
import { compareResponses } from './normalize.ts';
import type { SideContext } from './normalizers.ts';
import { runContractFlows, type ReplicaAt, type Side, type SideName } from './runner.ts';
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
  const tally = new ContractTally();
  const sides = (flow: CompiledFlow, replicaAt: ReplicaAt): Side[] => {
    const s: Side[] = [
      { name: 'baseline', target: ctx.baseline, routes: 'baseline' },
      { name: 'candidate', target: ctx.candidate, routes: 'candidate' },
    ];
    if (flow.noise) s.push({ name: 'replica', target: flow.noise === 'same' ? ctx.baseline : replicaAt(ctx.baseline, flow.noise.baselineUrl), routes: 'baseline' });
    return s;
  };
  const replicaUrl = (flow: CompiledFlow) => (typeof flow.noise === 'object' ? flow.noise.baselineUrl : ctx.baseline.config.baseUrl);
  await runContractFlows(
    plan,
    ctx,
    sides,
    (obs) => {
      const opts = { headers: plan.headers, rules: obs.step.rules, body: !obs.step.stream };
      const side = (name: SideName, baseUrl: string): SideContext => ({ baseUrl, generated: obs.generated?.[name] });
      const b = side('baseline', ctx.baseline.config.baseUrl);
      const diffs = compareResponses(obs.responses.baseline!, obs.responses.candidate!, { ...opts, sides: { a: b, b: side('candidate', ctx.candidate.config.baseUrl) } });
      const noise = obs.responses.replica ? compareResponses(obs.responses.baseline!, obs.responses.replica, { ...opts, sides: { a: b, b: side('replica', replicaUrl(obs.flow)) } }) : undefined;
      tally.add(obs, diffs, noise);
    },
    (skipped) => tally.skip(skipped),
  );
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
