import { getOwn } from '../json/own.ts';
import { parentPort, workerData } from 'node:worker_threads';
import type { RunResult } from '../run/result.ts';
import { failsSoFar } from './early.ts';
import { evaluatePolicy } from './evaluate.ts';
import { loadPolicy, type LoadedPolicy } from './load.ts';
import type { GatePair } from './metrics.ts';

/** What the judge thread is started with: the policy file the caller loaded (and the env it loaded it with), and where its extra judgements live. */
export interface JudgeThreadInput {
  policyFile: string;
  env: NodeJS.ProcessEnv;
  /** A module whose named exports `(policy, run, pairs) => result` may be called by name, besides `evaluate` and `failsSoFar`. */
  judges?: string;
}

export type JudgeMessage =
  | { kind: 'add'; bucket: number; pairs: GatePair[] }
  | { kind: 'drop'; bucket: number }
  | { kind: 'call'; id: number; fn: string; bucket: number; run: RunResult };

export type JudgeReply = { ready: true } | { startError: string } | { id: number; result: unknown } | { id: number; error: string };

type Judgement = (policy: LoadedPolicy, run: RunResult, pairs: readonly GatePair[]) => unknown;
const BUILT_IN: Record<string, Judgement> = { evaluate: evaluatePolicy, failsSoFar };

/**
 * The judge thread: loads the policy itself (gates hold functions, which do not cross threads),
 * keeps pairs in numbered buckets (a shadow window, a sweep step) as they are added, and answers
 * calls one at a time. A bootstrap over tens of thousands of pairs takes seconds: here it delays
 * no proxied response and no scheduled arrival.
 */
const input = workerData as JudgeThreadInput;
const port = parentPort!;
const buckets = new Map<number, GatePair[]>();
const ready = Promise.all([loadPolicy(input.policyFile, input.env), input.judges ? (import(input.judges) as Promise<Record<string, Judgement>>) : Promise.resolve<Record<string, Judgement>>({})]);
ready.then(
  () => port.postMessage({ ready: true } satisfies JudgeReply),
  (err: unknown) => port.postMessage({ startError: (err as Error).message } satisfies JudgeReply),
);

let queue: Promise<unknown> = Promise.resolve();
port.on('message', (m: JudgeMessage) => {
  if (m.kind === 'add') {
    let b = buckets.get(m.bucket);
    if (!b) buckets.set(m.bucket, (b = []));
    for (const p of m.pairs) b.push(p);
    return;
  }
  if (m.kind === 'drop') return void buckets.delete(m.bucket);
  queue = queue.then(async () => {
    try {
      const [policy, extra] = await ready;
      const fn = getOwn(BUILT_IN, m.fn) ?? getOwn(extra, m.fn);
      if (typeof fn !== 'function') throw new Error(`no judgement named "${m.fn}"`);
      port.postMessage({ id: m.id, result: fn(policy, m.run, buckets.get(m.bucket) ?? []) } satisfies JudgeReply);
    } catch (err) {
      port.postMessage({ id: m.id, error: (err as Error).message } satisfies JudgeReply);
    }
  });
});
