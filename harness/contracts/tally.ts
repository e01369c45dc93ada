import type { ContractStepSummary, Difference } from '../run/result.ts';
import { DRIFT_CLASS_ORDER, VALUE_KINDS } from './classify.ts';
import type { CompiledFlow, CompiledStep } from './compile.ts';
import type { GroupedDifference } from './diff.ts';
import type { Observed } from './normalize.ts';
import { comparePointers } from './pointer.ts';
import { hideSensitive, SENSITIVE_HEADER } from './redact.ts';
import { requestCredentials, Scrubber } from '../secrets/scrubber.ts';
import type { SentRequest, SideName, SkippedStep, StepObservation } from './runner.ts';

/**
 * Counts, per flow step, what the pairs showed: raw differences per pair, noise (differences
 * between two baseline responses), assertion failures per side. Drift is decided at the end,
 * once the noise of the whole run is known: a timestamp that happened to match in one
 * baseline pair is still noise if it differed in another.
 */
export interface PairRecord {
  diffs: GroupedDifference[];
  /** The flow run (iteration) and request id of the pair, to find it in samples and server logs. */
  iteration?: number;
  requestId?: string;
  requests: Partial<Record<SideName, SentRequest>>;
  responses: Partial<Record<SideName, Observed>>;
}

export interface StepTally {
  flow: CompiledFlow;
  step: CompiledStep;
  pairs: number;
  /** Differences of each pair (baseline vs candidate) that had any, by pair index: a pair without is only counted (`pairs`), so a long run's memory grows with its differing pairs, not with every pair. */
  diffs: Map<number, GroupedDifference[]>;
  /** Pairs kept whole for the report (the first few that differed, and the first pair). */
  kept: Map<number, PairRecord>;
  /** `pointer kind` → pairs in which the two baseline responses differed there (array lengths: by how much at most). */
  noise: Map<string, NoiseEntry>;
  failures: { baseline: number; candidate: number };
  /** Flow runs that never sent this step (an earlier capture failed). */
  skipped: number;
  /** Pairs in which neither target answered (no status on either side): no comparison, not counted in `pairs`. */
  unanswered: number;
  /** Compared pairs whose baseline failed (no answer, a broken stream, an HTTP error the step does not expect). */
  baselineFailed: number;
  failureMessages: Map<string, { role: 'baseline' | 'candidate'; message: string; count: number }>;
}

/**
 * Whether a side's answer to a step is a failure rather than an answer to compare with: none (a
 * refused or timed-out request), a stream that broke, or a 4xx/5xx the step does not `expect` (a
 * negative case answering 404 as asked is an answer).
 */
function failedAnswer(step: CompiledStep, o: Observed | undefined): boolean {
  if (!o) return false;
  if (o.status === null || o.error !== undefined) return true;
  return o.status >= 400 && !(step.expect.status ?? []).includes(o.status);
}

/** A pointer whose value differed between two baseline answers; `maxDelta`: the largest array length difference seen there. */
export interface NoiseEntry {
  pointer: string;
  kind: Difference['kind'];
  count: number;
  maxDelta?: number;
}

/** How far apart the two lengths of an `array_length` difference are. */
const lengthDelta = (d: Pick<Difference, 'baseline' | 'candidate'>) => Math.abs(Number(d.baseline) - Number(d.candidate));

/** Pairs kept whole per step (besides the first), for artifacts: the drifting pairs written under load are bounded by it. */
export const KEEP = 20;
const EXAMPLES = 3;
/** Drift and noise are keyed by the grouped pointer (array indices as "*") and kind. */
export const noiseKey = (d: Pick<GroupedDifference, 'pointer' | 'kind' | 'group'>) => `${d.group ?? d.pointer} ${d.kind}`;

export class ContractTally {
  readonly steps = new Map<string, StepTally>();

  private get(flow: CompiledFlow, step: CompiledStep): StepTally {
    const key = `${flow.name}\u0000${step.name}`;
    let t = this.steps.get(key);
    if (!t) {
      t = { flow, step, pairs: 0, diffs: new Map(), kept: new Map(), noise: new Map(), failures: { baseline: 0, candidate: 0 }, skipped: 0, unanswered: 0, baselineFailed: 0, failureMessages: new Map() };
      this.steps.set(key, t);
    }
    return t;
  }

  /** Adds one pair: the differences the caller computed, the noise differences (if learned), the observation. */
  add(obs: StepObservation, rawDiffs: GroupedDifference[], noise: GroupedDifference[] | undefined): void {
    // What the tally keeps of the pair (its differences, the pair whole when kept, failure messages)
    // is scrubbed of the pair's own credentials; the rest is counted and dropped, never copied.
    let made: Scrubber | null | undefined = null;
    const own = () => (made === null ? (made = ownCredentials(obs)) : made);
    const diffs = rawDiffs.length ? (own()?.scrubDeep(rawDiffs) ?? rawDiffs) : rawDiffs;
    const t = this.get(obs.flow, obs.step);
    const both = obs.responses.baseline && obs.responses.candidate;
    if (both && obs.responses.baseline!.status === null && obs.responses.candidate!.status === null) {
      // Two failures compare equal but show nothing about the contract: never an identical pair.
      t.unanswered++;
      this.failed(t, obs, own);
      return;
    }
    const index = t.pairs++;
    if (failedAnswer(obs.step, obs.responses.baseline)) t.baselineFailed++;
    if (diffs.length) t.diffs.set(index, diffs);
    // Counted once per pair and grouped pointer, however many indices differed.
    for (const k of new Set((noise ?? []).map(noiseKey))) {
      const d = noise!.find((x) => noiseKey(x) === k)!;
      let n = t.noise.get(k);
      if (n) n.count++;
      else t.noise.set(k, (n = { pointer: d.group ?? d.pointer, kind: d.kind, count: 1 }));
      // An array whose length varies between baseline answers hides a candidate's length only within that variation.
      if (d.kind === 'array_length') for (const x of noise!) if (noiseKey(x) === k) n.maxDelta = Math.max(n.maxDelta ?? 0, lengthDelta(x));
    }
    // Kept whole: pairs that differ beyond the noise seen so far (noise only grows, so every pair
    // that turns out to drift is kept while there is room; pairs differing only in fresh ids and
    // timestamps do not crowd them out), and the first pair besides (always kept, hence `<=`).
    if ((realDiffs(t, diffs).length > 0 && t.kept.size <= KEEP) || index === 0) {
      const o = own();
      const [requests, responses] = o ? [scrubRequests(obs.requests, o), o.scrubDeep(obs.responses)] : [obs.requests, obs.responses];
      t.kept.set(index, { diffs, iteration: obs.iteration, requestId: obs.requestId, requests, responses });
    }
    this.failed(t, obs, own);
  }

  private failed(t: StepTally, obs: StepObservation, own: () => Scrubber | undefined): void {
    for (const role of ['baseline', 'candidate'] as const) {
      const f = obs.failures[role];
      if (!f?.length) continue;
      t.failures[role]++;
      for (const { check, message } of f) this.message(t, role, check, own()?.scrub(message) ?? message);
    }
  }

  /** A step not sent in one flow run, because `side`'s capture failed at an earlier step. */
  skip(skipped: SkippedStep): void {
    const t = this.get(skipped.flow, skipped.step);
    t.skipped++;
    const role = skipped.side === 'candidate' ? 'candidate' : 'baseline';
    const who = skipped.side === 'replica' ? ' (noise replica)' : '';
    this.message(t, role, `skipped ${skipped.capture}`, `skipped: capture ${skipped.capture} failed${who}`);
  }

  private message(t: StepTally, role: 'baseline' | 'candidate', check: string, message: string): void {
    const k = `${role}\u0000${check}`;
    const m = t.failureMessages.get(k);
    if (m) m.count++;
    else t.failureMessages.set(k, { role, message, count: 1 });
  }

  /** Adds noise known beforehand (a snapshot's learned noise). */
  addKnownNoise(flow: CompiledFlow, step: CompiledStep, noise: readonly NoiseEntry[]): void {
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

type DriftRow = ContractStepSummary['drift'][number];

/** A pair's differences that are drift: learned noise hides value differences only. */
export function realDiffs(t: Pick<StepTally, 'noise'>, diffs: readonly GroupedDifference[]): GroupedDifference[] {
  return diffs.filter((d) => {
    if (!VALUE_KINDS.has(d.kind)) return true;
    const n = t.noise.get(noiseKey(d));
    // A list that varies by a few items between baseline answers does not hide a candidate's truncated (or empty) one.
    if (n && d.kind === 'array_length' && n.maxDelta !== undefined) return lengthDelta(d) > n.maxDelta;
    return n === undefined;
  });
}

/**
 * The credentials a pair's own requests carried (a token a flow captured at login and sent as
 * `Bearer {{token}}`, a session cookie), as a scrubber for what the tally keeps of the pair: a
 * backend that echoes its caller's token in a plain field (`{"session": "<token>"}`, `"signed in
 * with <token>"`) would otherwise put it into drift examples, diffs/*.json and every report
 * (test/secrets/flow-diff-credentials.test.ts). Undefined when they carried none.
 */
function ownCredentials(obs: StepObservation): Scrubber | undefined {
  const values: string[] = [];
  for (const side of ['baseline', 'candidate'] as const) {
    const req = obs.requests[side];
    if (req) values.push(...requestCredentials(req.headers, req.path));
  }
  if (values.length === 0) return undefined;
  const s = Scrubber.none.with(values);
  return s.empty ? undefined : s;
}

/**
 * The requests with their own credentials taken out of the URL, the body and the other headers; a
 * credential header keeps its value, which every writer replaces by name (redactHeaders, and the
 * replay curl's `${PARITY_TOKEN}`, which needs the scheme word the scrubber would take with it).
 */
function scrubRequests(requests: StepObservation['requests'], own: Scrubber): StepObservation['requests'] {
  const out: StepObservation['requests'] = {};
  for (const [side, req] of Object.entries(requests) as [keyof typeof requests, SentRequest | undefined][]) {
    if (!req) continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = SENSITIVE_HEADER.test(k) ? v : own.scrub(v);
    out[side] = { ...req, url: own.scrub(req.url), path: own.scrub(req.path), headers, body: req.body === undefined ? undefined : own.scrub(req.body) };
  }
  return out;
}

/**
 * Drift per step once noise is known. Learned noise hides value differences only (`value`,
 * `header`, `array_length`; a length only by as much as the baseline's own answers differed): a field or header that is missing, extra or of another type is drift
 * however much its value varied. Array indices are grouped (`/items/*\/id`): a row counts the pairs
 * it drifted in and every difference behind it, with the first few as examples. `artifact` and
 * `curl` are filled by the artifact writer.
 */
export function summarizeStep(t: StepTally): StepVerdict {
  const drift = new Map<string, DriftRow>();
  const classes = { breaking: 0, additive: 0, value: 0 };
  let drifted = 0;
  let example: StepVerdict['example'];
  for (const [i, diffs] of t.diffs) {
    const real = realDiffs(t, diffs);
    if (!real.length) continue;
    drifted++;
    const kept = t.kept.get(i);
    if (!example && kept) example = { ...kept, index: i };
    for (const c of new Set(real.map((d) => d.class ?? 'value'))) classes[c]++;
    const seen = new Set<string>();
    for (const d of real) {
      const k = noiseKey(d);
      const { group: _g, ...shown } = d;
      const plain = hideSensitive(shown);
      let e = drift.get(k);
      if (!e) {
        e = { pointer: d.group ?? d.pointer, kind: d.kind, class: d.class ?? 'value', count: 0, occurrences: 0, example: plain, examples: [] };
        drift.set(k, e);
      }
      if (!seen.has(k)) e.count++;
      seen.add(k);
      e.occurrences!++;
      if (e.examples!.length < EXAMPLES && !e.examples!.some((x) => x.pointer === d.pointer)) e.examples!.push(plain);
    }
  }
  const noise = new Map<string, number>();
  for (const n of t.noise.values()) noise.set(n.pointer, Math.max(noise.get(n.pointer) ?? 0, n.count));
  const summary: ContractStepSummary = {
    scenario: t.flow.name,
    step: t.step.name,
    pairs: t.pairs,
    identical: t.pairs - drifted,
    drifted,
    drift: [...drift.values()].sort(
      (a, b) => DRIFT_CLASS_ORDER.indexOf(a.class ?? 'value') - DRIFT_CLASS_ORDER.indexOf(b.class ?? 'value') || b.count - a.count || comparePointers(a.pointer, b.pointer) || a.kind.localeCompare(b.kind),
    ),
    classes,
    noise: [...noise.entries()].map(([pointer, count]) => ({ pointer, count })).sort((a, b) => comparePointers(a.pointer, b.pointer)),
    assertionFailures: t.failures,
    failures: [...t.failureMessages.values()].sort((a, b) => b.count - a.count).slice(0, 10),
    artifact: null,
    curl: null,
  };
  if (t.skipped) summary.skipped = t.skipped;
  if (t.unanswered) summary.unanswered = t.unanswered;
  if (t.baselineFailed) summary.baselineFailed = t.baselineFailed;
  return { tally: t, summary, example };
}
