import type { TimeoutsConfig } from '../../config/schema.ts';
import type { PairedSample, StreamSample } from '../../metrics/sample.ts';
import { RequestProbe } from '../../probes/request-probe.ts';
import { runInTurn } from '../../probes/send-order.ts';
import { StreamProbe } from '../../probes/stream-probe.ts';
import type { LiveTarget } from '../../targets/target.ts';
import type { CapturedRequest } from './capture.ts';
import type { ReplayComparer } from './compare.ts';
import { endpointOf, outgoing, type ReplayFilters } from './filter.ts';

export const REPLAY_SCENARIO = 'replay';

export interface ReplayPairInput {
  targets: readonly [LiveTarget, LiveTarget];
  runId: string;
  iteration: number;
  requestIdHeader: string;
  timeouts: TimeoutsConfig;
  filters: Pick<ReplayFilters, 'dropHeaders' | 'rewrites' | 'copy'>;
  /** Paths (globs) replayed as SSE streams, besides requests that accept text/event-stream. */
  isStream: (path: string) => boolean;
  signal: AbortSignal;
  req: CapturedRequest;
  /** Diff this pair under the contract rules (a sampled iteration): request pairs by status, headers and body, stream pairs by status and streamed content. */
  comparer?: ReplayComparer | undefined;
}

const prefixes = new WeakMap<object, string>();
const prefixOf = (t: LiveTarget) => {
  let p = prefixes.get(t);
  if (p === undefined) prefixes.set(t, (p = new URL(t.config.baseUrl).pathname.replace(/\/+$/, '')));
  return p;
};

/**
 * One captured request as a paired iteration: the same request (same id) to both targets at the
 * same moment, measured by the stream probe (SSE: accepts text/event-stream, or a --stream path)
 * or the request probe (anything else), exactly as `parity run` measures its scenarios.
 * Returns the pair and each probe's start, or undefined when interrupted (not a measurement).
 */
export async function replayPair(f: ReplayPairInput): Promise<{ pair: PairedSample; t0: [number, number]; compared?: ReturnType<ReplayComparer['observe']>; readWhole?: true } | undefined> {
  const { req } = f;
  const { path, headers: captured, body } = outgoing(req, f.filters);
  const requestId = `${f.runId}-${f.iteration}`;
  const route = endpointOf(req, path);
  const stream = (req.headers.accept ?? '').includes('text/event-stream') || f.isStream(path.split('?', 1)[0]!);
  const requests = f.targets.map((t) => ({ method: req.method, path: prefixOf(t) + path, headers: { ...captured, ...t.config.headers, [f.requestIdHeader]: requestId }, body }));
  const ids = f.targets.map((t) => ({ target: t.config.name, role: t.config.role, scenario: REPLAY_SCENARIO, requestId, iteration: f.iteration, vu: 0 }));
  let samples: (StreamSample & { aborted?: boolean })[];
  let t0: [number, number];
  let compared: ReturnType<ReplayComparer['observe']> | undefined;
  if (stream) {
    // A compared pair keeps its streamed content text (the diff reads it); others do not hold it.
    const collectText = f.comparer !== undefined;
    const probes = f.targets.map((t, i) => new StreamProbe(t.classify, { ...ids[i]!, promptIndex: 0, expectsCitations: false, ...requests[i]!, collectText }, f.timeouts, f.signal));
    // Whoever is sent first goes out first: alternate by iteration (send-order.ts).
    const results = await Promise.all(runInTurn(f.iteration, 2, (i) => probes[i]!.run(f.targets[i]!.pool)));
    // A stream probe's clock starts when it is run.
    t0 = [probes[0]!.t0, probes[1]!.t0];
    if (f.comparer && !results.some((r) => r.aborted)) compared = f.comparer.observeStream({ route, iteration: f.iteration, requestId, targets: f.targets, requests, results });
    // The sample without the text: it is spooled, and the text is the diff's only.
    samples = collectText ? results.map(({ text: _text, ...s }) => s) : results;
    for (const s of samples) s.route = route;
  } else {
    const probes = f.targets.map((t, i) => new RequestProbe({ ...ids[i]!, route }, requests[i]!, f.timeouts, f.comparer !== undefined, f.signal));
    t0 = [probes[0]!.t0, probes[1]!.t0];
    const results = await Promise.all(runInTurn(f.iteration, 2, (i) => probes[i]!.run(f.targets[i]!.pool)));
    if (results.some((r) => r.aborted)) return undefined;
    samples = results.map((r) => r.sample);
    if (f.comparer) compared = f.comparer.observe({ route, iteration: f.iteration, requestId, targets: f.targets, requests, results });
  }
  if (samples.some((s) => s.aborted)) return undefined;
  const pair: PairedSample = { requestId, scenario: REPLAY_SCENARIO, iteration: f.iteration, route, baseline: samples[0]!, candidate: samples[1]! };
  // A request that did not accept text/event-stream (a browser's fetch() streaming a chat answer)
  // may be answered with a stream all the same: read whole, a stream with an error event, an empty
  // answer or no terminal event is `ok`. The request probe marks an SSE answer (streamReadWhole);
  // the replay counts a pair where either side gave one and cannot pass on it (fidelity.ts). The
  // candidate's alone counts too: a baseline answering JSON and a candidate streaming an error event
  // every time read `ok` on both sides and passed (test/redteam/replay-candidate-stream-read-whole.test.ts).
  const readWhole = pair.baseline.streamReadWhole === true || pair.candidate.streamReadWhole === true;
  return { pair, t0, ...(compared ? { compared } : {}), ...(readWhole ? { readWhole: true as const } : {}) };
}
