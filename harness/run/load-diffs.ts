import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { routeTemplate } from '../config/flow-scenarios.ts';
import { describeBody, type Observed } from '../contracts/normalize.ts';
import { hideSensitive, redactHeaders, redactJson } from '../contracts/redact.ts';
import { replayCurl } from '../contracts/replay-curl.ts';
import type { SentRequest } from '../contracts/runner.ts';
import { KEEP, realDiffs, type ContractTally } from '../contracts/tally.ts';
import { writeFileAtomic } from '../output/atomic.ts';
import type { Scrubber } from '../secrets/scrubber.ts';
import type { ContractStepSummary, Difference } from './result.ts';

/**
 * The drifting pairs of the contract diffs sampled under load (`compare:` on a request or flow
 * scenario), each written whole so the drift can be reproduced: `diffs/<n>.json` beside run.json
 * holds the differences, both requests and both responses (credentials redacted) and, per target,
 * a curl line that sends the same request again (credential headers read `$PARITY_TOKEN`-style
 * variables, never the value). Everything goes through the run's scrubber. Bounded: the first
 * MAX_DIFFS_PER_STEP drifting pairs of each step; the summary still counts every one.
 */
export const MAX_DIFFS_PER_STEP = KEEP;

type Side = 'baseline' | 'candidate';

/** One drifting pair as plain data (it crosses from a worker thread to the run). */
export interface DriftingPair {
  scenario: string;
  step: string;
  route: string;
  iteration: number;
  requestId: string;
  /** The differences that are drift (learned noise left out). */
  differences: Difference[];
  requests: Partial<Record<Side, SentRequest>>;
  responses: Partial<Record<Side, Observed>>;
}

/** The kept pairs of each step whose differences are drift once the shard's noise is known. */
export function driftingPairs(tally: ContractTally): DriftingPair[] {
  const out: DriftingPair[] = [];
  for (const t of tally.steps.values()) {
    for (const [index, rec] of [...t.kept].sort((a, b) => a[0] - b[0])) {
      const real = realDiffs(t, rec.diffs);
      if (real.length === 0) continue;
      out.push({
        scenario: t.flow.name,
        step: t.step.name,
        route: routeTemplate(t.step.routes.baseline),
        iteration: rec.iteration ?? index,
        requestId: rec.requestId ?? '',
        differences: real.map(({ group: _g, ...d }) => d),
        requests: { baseline: rec.requests.baseline, candidate: rec.requests.candidate },
        responses: { baseline: rec.responses.baseline, candidate: rec.responses.candidate },
      });
    }
  }
  return out;
}

/** Per step (`scenario \0 step`): the files written and the candidate's curl. */
export type LoadDiffIndex = Map<string, { files: string[]; curl: string | null }>;
const keyOf = (p: { scenario: string; step: string }) => `${p.scenario}\u0000${p.step}`;

/** Writes `diffs/<n>.json` for every shard's drifting pairs, numbered in scenario, step and iteration order. */
export async function writeLoadDiffs(dir: string, pairs: readonly DriftingPair[], scrubber: Scrubber, labels: Record<Side, string>): Promise<LoadDiffIndex> {
  const index: LoadDiffIndex = new Map();
  if (pairs.length === 0) return index;
  const order = new Map<string, number>();
  for (const p of pairs) if (!order.has(keyOf(p))) order.set(keyOf(p), order.size);
  const sorted = [...pairs].sort((a, b) => order.get(keyOf(a))! - order.get(keyOf(b))! || a.iteration - b.iteration);
  await mkdir(path.join(dir, 'diffs'), { recursive: true });
  let n = 0;
  for (const p of sorted) {
    const entry = index.get(keyOf(p)) ?? { files: [], curl: null };
    index.set(keyOf(p), entry);
    if (entry.files.length >= MAX_DIFFS_PER_STEP) continue;
    const file = `diffs/${++n}.json`;
    const doc = scrubber.scrubDeep(artifact(p, scrubber, labels));
    await writeFileAtomic(path.join(dir, file), JSON.stringify(doc, null, 2) + '\n', 'a contract diff');
    entry.files.push(file);
    entry.curl ??= doc.candidate?.curl ?? doc.baseline?.curl ?? null;
  }
  return index;
}

function artifact(p: DriftingPair, scrubber: Scrubber, labels: Record<Side, string>) {
  const side = (s: Side) => {
    const req = p.requests[s];
    const res = p.responses[s];
    if (!req) return undefined;
    const replay = replayCurl(req, scrubber);
    return {
      target: labels[s],
      request: { method: req.method, url: req.url, headers: redactHeaders(req.headers), body: bodyOf(req.body) },
      response: res ? { status: res.status, headers: redactHeaders(res.headers), body: redactJson(describeBody(res)), ...(res.error ? { error: res.error } : {}), durationMs: res.durationMs } : null,
      curl: replay.curl,
      env: replay.env,
    };
  };
  return {
    scenario: p.scenario,
    step: p.step,
    route: p.route,
    iteration: p.iteration,
    requestId: p.requestId,
    differences: p.differences.map(hideSensitive),
    replay: 'Set the variables a curl line reads (env), then run it: it sends the same request to that target again.',
    baseline: side('baseline'),
    candidate: side('candidate'),
  };
}

function bodyOf(body: string | undefined): unknown {
  if (body === undefined) return null;
  try {
    return redactJson(JSON.parse(body));
  } catch {
    return body;
  }
}

/** The under-load contract summaries with their diff files and curl. */
export function withDiffFiles(summaries: ContractStepSummary[], index: LoadDiffIndex | undefined): ContractStepSummary[] {
  if (!index) return summaries;
  return summaries.map((s) => {
    const e = index.get(keyOf(s));
    if (!e || e.files.length === 0) return s;
    return { ...s, artifact: e.files[0]!, curl: s.curl ?? e.curl, diffs: e.files };
  });
}
