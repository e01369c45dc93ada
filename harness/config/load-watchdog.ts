import { isMainThread, Worker } from 'node:worker_threads';

/**
 * A config module can block the main thread outright (`while (true) {}` at its top level, a
 * synchronous loop over a huge file): the load timeout's timer never gets to fire, and `parity`
 * would hang before sending anything. This watchdog runs on a thread of its own: if the load is
 * still going `graceMs` after the load timeout, it stops the JavaScript running on the main
 * thread (the inspector protocol's `Runtime.terminateExecution`, which interrupts a loop). The
 * event loop then goes on, the overdue timeout fires, and the load fails as any slow config does:
 * PARITY_CONFIG_UNREADABLE, exit 3, the file named.
 *
 * The grace period keeps the watchdog out of the way of a load that is merely slow (awaiting):
 * its timeout has already ended the load, and the watchdog, finding the load over, does nothing.
 */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const state = workerData.state;
// 1: loading; 0: the load ended (the main thread says so). Wait for the end, at most the deadline.
if (Atomics.wait(state, 0, 1, workerData.ms) === 'timed-out' && Atomics.compareExchange(state, 0, 1, 2) === 1) {
  const { Session } = require('node:inspector');
  const session = new Session();
  session.connectToMainThread();
  session.post('Runtime.terminateExecution');
}
`;

/** Starts watching a load that may take `timeoutMs`; call the returned function once it has ended (whatever the outcome). */
export function watchLoad(timeoutMs: number, graceMs = 1_000): () => void {
  // The inspector reaches the process's main thread only: parity loaded inside a worker thread leaves it alone.
  if (!isMainThread) return () => undefined;
  const state = new Int32Array(new SharedArrayBuffer(4));
  state[0] = 1;
  let worker: Worker;
  try {
    worker = new Worker(WATCHDOG, { eval: true, workerData: { state, ms: timeoutMs + graceMs } });
  } catch {
    return () => undefined; // no worker threads here: the timeout alone still ends loads that await
  }
  worker.unref();
  worker.on('error', () => undefined); // a runtime without the inspector: the watchdog just does nothing
  return () => {
    Atomics.store(state, 0, 0);
    Atomics.notify(state, 0);
  };
}
