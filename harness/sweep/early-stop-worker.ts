import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicy } from '../gates/load.ts';
import type { GatePair } from '../gates/metrics.ts';
import type { RunResult } from '../run/result.ts';
import { bothFailingSoFar, sloPolicy } from './early-stop.ts';

/** What the sweep hands the early-stop worker: the policy file it loaded (and the env it loaded it with). */
export interface EarlyStopWorkerInput {
  policyFile: string;
  env: NodeJS.ProcessEnv;
}

/** One check: the step's pairs measured since the last check, and its run.json as it stands. */
export interface CheckMessage {
  step: number;
  pairs: GatePair[];
  run: RunResult;
}

export interface CheckReply {
  step: number;
  /** Why the step should stop now, or null to go on. */
  reason: string | null;
}

/**
 * The early-stop worker: loads the sweep's policy itself (gates hold functions, which do not cross
 * threads), keeps the current step's pairs, and judges them at each check with `bothFailingSoFar`.
 * The bootstrap over thousands of pairs takes its time here, not in the thread whose arrivals it
 * would delay (a late start counts against both targets).
 */
const input = workerData as EarlyStopWorkerInput;
const port = parentPort!;
const policy = loadPolicy(input.policyFile, input.env).then(sloPolicy);
// Ready once the policy is loaded: the sweep starts its first step after this start-up, not during it.
policy.then(
  () => port.postMessage({ step: 0, reason: null, ready: true }),
  (err: unknown) => port.postMessage({ step: 0, reason: null, error: (err as Error).message }),
);
let step = -1;
let pairs: GatePair[] = [];
let queue = Promise.resolve();
port.on('message', (m: CheckMessage) => {
  queue = queue.then(async () => {
    if (m.step !== step) [step, pairs] = [m.step, []];
    for (const p of m.pairs) pairs.push(p);
    const reply: CheckReply = { step, reason: bothFailingSoFar(await policy, m.run, pairs) };
    port.postMessage(reply);
  });
  queue.catch((err: unknown) => port.postMessage({ step: m.step, reason: null, error: (err as Error).message }));
});
