import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedTarget } from '../../config/load.ts';
import type { TimeoutsConfig } from '../../config/schema.ts';
import type { StreamSample } from '../../metrics/sample.ts';
import { openTarget } from '../../targets/target.ts';
import { plainSample, shadowProbe, type ShadowProbeSpec, type ShadowRequest } from './probe.ts';

/** What the candidate thread is started with: the candidate as resolved, and the probes' limits. */
export interface CandidateThreadInput {
  target: ResolvedTarget;
  timeouts: TimeoutsConfig;
}

/** One copy for the candidate: `n` numbers it for the answer. */
export interface CandidateCopy {
  n: number;
  spec: ShadowProbeSpec;
  req: ShadowRequest;
}

export type CandidateMessage = { kind: 'copies'; copies: CandidateCopy[] } | { kind: 'close' };
export type CandidateReply = { ready: true } | { startError: string } | { results: [number, StreamSample][] };

/**
 * The shadow's candidate thread: sends each copy to the candidate and probes its response, on a
 * thread and an event loop of its own, with its own connection pool. The candidate's streams
 * arrive at the same moments as the baseline's (the copies leave together); read and parsed on
 * the proxy's thread, they made every baseline chunk wait behind them before it went on to its
 * client. Copies come in batches, samples go back in batches (one message per event-loop turn).
 */
const input = workerData as CandidateThreadInput;
const port = parentPort!;
let target: ReturnType<typeof openTarget>;
try {
  target = openTarget(input.target, input.timeouts);
  port.postMessage({ ready: true } satisfies CandidateReply);
} catch (err) {
  port.postMessage({ startError: (err as Error).message } satisfies CandidateReply);
  throw err;
}
const side = { target: input.target.name, role: input.target.role, classify: target.classify };

let results: [number, StreamSample][] = [];
const flush = () => {
  const batch = results;
  results = [];
  port.postMessage({ results: batch } satisfies CandidateReply);
};
const done = (n: number, s: StreamSample) => {
  if (results.push([n, s]) === 1) setImmediate(flush);
};

port.on('message', (m: CandidateMessage) => {
  if (m.kind === 'close') {
    void target.close().finally(() => port.close());
    return;
  }
  for (const c of m.copies) {
    // A probe never rejects on the network (its sample says what happened): a rejection is a bug,
    // left unhandled so the thread dies and the proxy counts the copies it had as lost.
    void shadowProbe(c.spec, side, c.req, input.timeouts)
      .measure(target.pool)
      .then((r) => done(c.n, plainSample(r)));
  }
});
