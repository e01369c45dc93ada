import type { ContractStepSummary, Difference } from '../run/result.ts';
import type { CompiledFlow, CompiledStep } from './compile.ts';
import type { Observed } from './normalize.ts';
import type { SentRequest, SideName, StepObservation } from './runner.ts';

/**
 * Counts, per flow step, what the pairs showed: raw differences per pair, noise (differences
 * between two baseline responses), assertion failures per side. Drift is decided at the end,
 * once the noise of the whole run is known: a timestamp that happened to match in one
 * baseline pair is still noise if it differed in another.
 */
export interface PairRecord {
  diffs: Difference[];
  requests: Partial<Record<SideName, SentRequest>>;
  responses: Partial<Record<SideName, Observed>>;
}

export interface StepTally {
  flow: CompiledFlow;
  step: CompiledStep;
  pairs: number;
  /** Differences of each pair (baseline vs candidate), in pair order. */
  diffs: Difference[][];
  /** Pairs kept whole for the report (the first few that differed, and the first pair). */
  kept: Map<number, PairRecord>;
  /** `pointer kind` → pairs in which the two baseline responses differed there. */
  noise: Map<string, { pointer: string; kind: Difference['kind']; count: number }>;
  failures: { baseline: number; candidate: number };
  failureMessages: Map<string, { role: 'baseline' | 'candidate'; message: string; count: number }>;
}

const KEEP = 20;
export const noiseKey = (d: Pick<Difference, 'pointer' | 'kind'>) => `${d.pointer} ${d.kind}`;

export class ContractTally {
  readonly steps = new Map<string, StepTally>();

  private get(flow: CompiledFlow, step: CompiledStep): StepTally {
    const key = `${flow.name}\u0000${step.name}`;
    let t = this.steps.get(key);
    if (!t) {
      t = { flow, step, pairs: 0, diffs: [], kept: new Map(), noise: new Map(), failures: { baseline: 0, candidate: 0 }, failureMessages: new Map() };
      this.steps.set(key, t);
    }
    return t;
  }

  /** Adds one pair: the differences the caller computed, the noise differences (if learned), the observation. */
  add(obs: StepObservation, diffs: Difference[], noise: Difference[] | undefined): void {
    const t = this.get(obs.flow, obs.step);
    const index = t.pairs++;
    t.diffs.push(diffs);
    if ((diffs.length > 0 && t.kept.size < KEEP) || index === 0) t.kept.set(index, { diffs, requests: obs.requests, responses: obs.responses });
    for (const d of noise ?? []) {
      const k = noiseKey(d);
      const n = t.noise.get(k);
      if (n) n.count++;
      else t.noise.set(k, { pointer: d.pointer, kind: d.kind, count: 1 });
    }
    for (const role of ['baseline', 'candidate'] as const) {
      const f = obs.failures[role];
      if (!f?.length) continue;
      t.failures[role]++;
      for (const { check, message } of f) {
        const k = `${role}\u0000${check}`;
        const m = t.failureMessages.get(k);
        if (m) m.count++;
        else t.failureMessages.set(k, { role, message, count: 1 });
      }
    }
  }

  /** Adds noise known beforehand (a snapshot's learned noise). */
  addKnownNoise(flow: CompiledFlow, step: CompiledStep, noise: readonly { pointer: string; kind: Difference['kind']; count: number }[]): void {
    const t = this.get(flow, step);
    for (const n of noise) if (!t.noise.has(noiseKey(n))) t.noise.set(noiseKey(n), { ...n });
  }
}

export interface StepVerdict {
  tally: StepTally;
  summary: ContractStepSummary;
  /** The first kept pair that drifted, for the artifact. */
  example: (PairRecord & { index: number }) | undefined;
}

/** Drift per step once noise is known. `artifact` and `curl` are filled by the artifact writer. */
export function summarizeStep(t: StepTally): StepVerdict {
  const drift = new Map<string, ContractStepSummary['drift'][number]>();
  let drifted = 0;
  let example: StepVerdict['example'];
  t.diffs.forEach((diffs, i) => {
    const real = diffs.filter((d) => !t.noise.has(noiseKey(d)));
    if (!real.length) return;
    drifted++;
    const kept = t.kept.get(i);
    if (!example && kept) example = { ...kept, index: i };
    for (const d of real) {
      const k = noiseKey(d);
      const e = drift.get(k);
      if (e) e.count++;
      else drift.set(k, { pointer: d.pointer, kind: d.kind, count: 1, example: d });
    }
  });
  const noise = new Map<string, number>();
  for (const n of t.noise.values()) noise.set(n.pointer, Math.max(noise.get(n.pointer) ?? 0, n.count));
  const summary: ContractStepSummary = {
    scenario: t.flow.name,
    step: t.step.name,
    pairs: t.pairs,
    identical: t.pairs - drifted,
    drifted,
    drift: [...drift.values()].sort((a, b) => b.count - a.count || a.pointer.localeCompare(b.pointer)),
    noise: [...noise.entries()].map(([pointer, count]) => ({ pointer, count })).sort((a, b) => a.pointer.localeCompare(b.pointer)),
    assertionFailures: t.failures,
    failures: [...t.failureMessages.values()].sort((a, b) => b.count - a.count).slice(0, 10),
    artifact: null,
    curl: null,
  };
  return { tally: t, summary, example };
}
