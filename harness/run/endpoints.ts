import type { StepObservation } from '../contracts/runner.ts';
import { ContractTally, summarizeStep } from '../contracts/tally.ts';
import type { PairedSample } from '../metrics/sample.ts';
import { SummaryAccumulator, type SummaryStateJSON } from '../metrics/summary.ts';
import type { ContractStepSummary, Difference, RunResult } from './result.ts';
import { driftingPairs, type DriftingPair } from './load-diffs.ts';

/**
 * The per-endpoint sinks of request and flow scenarios: one summary accumulator pair per
 * (scenario, flow step, route template), fed the same samples as the per-scenario ones, and the
 * contract tally of the pairs sampled for a diff under load. Plain data crosses from workers.
 */
export interface EndpointStateJSON {
  scenario: string;
  step: string | null;
  route: string;
  summaries: [SummaryStateJSON, SummaryStateJSON];
}

export class EndpointSinks {
  private readonly byKey = new Map<string, { scenario: string; step: string | null; route: string; acc: [SummaryAccumulator, SummaryAccumulator]; derived?: true }>();
  private readonly tally = new ContractTally();

  constructor(private readonly names: { baseline: string; candidate: string }) {}

  /**
   * The endpoint of a scenario with one step (every request scenario): every sample of the
   * scenario is a sample of that endpoint and nothing else is, so its summaries are the
   * scenario's accumulators, read as they are (less the scenario's dropped starts, which no
   * endpoint counts), instead of a second pair fed the same samples. Call it as the scenario's
   * first pair comes (endpoints are listed in order of first appearance) and never `add` its pairs.
   */
  derive(pair: PairedSample, acc: [SummaryAccumulator, SummaryAccumulator]): void {
    const step = pair.step ?? null;
    const key = `${pair.scenario}\u0000${step ?? ''}\u0000${pair.route!}`;
    if (!this.byKey.has(key)) this.byKey.set(key, { scenario: pair.scenario, step, route: pair.route!, acc, derived: true });
  }

  add(pair: PairedSample): void {
    const route = pair.route!;
    const step = pair.step ?? null;
    const key = `${pair.scenario}\u0000${step ?? ''}\u0000${route}`;
    let e = this.byKey.get(key);
    if (!e) {
      e = { scenario: pair.scenario, step, route, acc: [new SummaryAccumulator(this.names.baseline, 'baseline', pair.scenario), new SummaryAccumulator(this.names.candidate, 'candidate', pair.scenario)] };
      this.byKey.set(key, e);
    }
    e.acc[0].add(pair.baseline);
    e.acc[1].add(pair.candidate);
  }

  compared(obs: StepObservation, diffs: Difference[], noise: Difference[] | undefined): void {
    this.tally.add(obs, diffs, noise);
  }

  toJSON(): { endpoints: EndpointStateJSON[]; contracts: ContractStepSummary[]; diffs: DriftingPair[] } {
    return {
      endpoints: [...this.byKey.values()].map((e) => ({ scenario: e.scenario, step: e.step, route: e.route, summaries: [stateOf(e.acc[0], e.derived), stateOf(e.acc[1], e.derived)] })),
      contracts: [...this.tally.steps.values()].map((t) => ({ ...summarizeStep(t).summary, underLoad: true })),
      diffs: driftingPairs(this.tally),
    };
  }
}

function stateOf(acc: SummaryAccumulator, derived: true | undefined): SummaryStateJSON {
  const state = acc.toJSON();
  if (derived) state.counters.dropped = 0;
  return state;
}

/** Endpoints of every shard merged, in the order of first appearance. */
export function mergeEndpoints(states: readonly EndpointStateJSON[][], names: { baseline: string; candidate: string }): NonNullable<RunResult['endpoints']> {
  const merged = new Map<string, { scenario: string; step: string | null; route: string; acc: [SummaryAccumulator, SummaryAccumulator] }>();
  for (const list of states) {
    for (const e of list) {
      const key = `${e.scenario}\u0000${e.step ?? ''}\u0000${e.route}`;
      let m = merged.get(key);
      if (!m) {
        m = { ...e, acc: [new SummaryAccumulator(names.baseline, 'baseline', e.scenario), new SummaryAccumulator(names.candidate, 'candidate', e.scenario)] };
        merged.set(key, m);
      }
      m.acc[0].merge(e.summaries[0]);
      m.acc[1].merge(e.summaries[1]);
    }
  }
  return [...merged.values()].map((m) => ({ scenario: m.scenario, step: m.step, route: m.route, baseline: m.acc[0].summary(), candidate: m.acc[1].summary() }));
}

/**
 * Contract summaries under load from every shard, one per (scenario, step): counts added; drift
 * entries merged by pointer and kind. Each shard decided noise on its own pairs (with one worker,
 * the usual case, that is all of them).
 */
export function mergeLoadContracts(states: readonly ContractStepSummary[][]): ContractStepSummary[] {
  const out = new Map<string, ContractStepSummary>();
  for (const list of states) {
    for (const s of list) {
      const key = `${s.scenario}\u0000${s.step}`;
      const m = out.get(key);
      if (!m) {
        out.set(key, structuredClone(s));
        continue;
      }
      m.pairs += s.pairs;
      m.identical += s.identical;
      m.drifted += s.drifted;
      m.assertionFailures.baseline += s.assertionFailures.baseline;
      m.assertionFailures.candidate += s.assertionFailures.candidate;
      // Every shard's drift classes (what contract_drift.<class> gates read): a shard without them leaves none (no data, never zero).
      if (m.classes && s.classes) for (const c of ['breaking', 'additive', 'value'] as const) m.classes[c] += s.classes[c];
      else delete m.classes;
      if (s.skipped) m.skipped = (m.skipped ?? 0) + s.skipped;
      if (s.unanswered) m.unanswered = (m.unanswered ?? 0) + s.unanswered;
      if (s.baselineFailed) m.baselineFailed = (m.baselineFailed ?? 0) + s.baselineFailed;
      // The smallest share diffed by any shard (one without diffed all): counts that include a sample say so, whichever shard came first.
      const share = Math.min(m.share ?? 1, s.share ?? 1);
      if (share < 1) m.share = share;
      for (const f of s.failures ?? []) {
        const e = m.failures?.find((x) => x.role === f.role && x.message === f.message);
        if (e) e.count += f.count;
        else (m.failures ??= []).push({ ...f });
      }
      for (const d of s.drift) {
        const e = m.drift.find((x) => x.pointer === d.pointer && x.kind === d.kind);
        if (e) {
          e.count += d.count;
          if (e.occurrences !== undefined || d.occurrences !== undefined) e.occurrences = (e.occurrences ?? e.count - d.count) + (d.occurrences ?? d.count);
        } else m.drift.push(structuredClone(d));
      }
      for (const n of s.noise) {
        const e = m.noise.find((x) => x.pointer === n.pointer);
        if (e) e.count += n.count;
        else m.noise.push({ ...n });
      }
    }
  }
  return [...out.values()];
}
