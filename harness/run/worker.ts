import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { recompileFlows } from '../config/flow-scenarios.ts';
import type { LoadedConfig } from '../config/load.ts';
import { createLiveStats } from './live-stats.ts';
import { createShard } from './shard.ts';

/** What the run hands a worker thread (see workers.ts). */
export interface WorkerInput {
  loaded: LoadedConfig;
  runId: string;
  shard: { index: number; count: number };
  samplesFile: string;
  warmupFile: string;
  /** Int32Array[0]: the next iteration number, shared by every worker. */
  counter: SharedArrayBuffer;
}

const input = workerData as WorkerInput;
input.loaded = recompileFlows(input.loaded);
const port = parentPort!;
const ac = new AbortController();
setMaxListeners(0, ac.signal);
// The run says when the schedule starts (performance.timeOrigin + performance.now(): the same instant in every thread) once every worker is ready.
let start: (startAtAbs: number) => void;
const started = new Promise<number>((resolve) => (start = resolve));
port.on('message', (m: { type: string; startAtAbs?: number }) => {
  if (m.type === 'abort') ac.abort();
  if (m.type === 'start') start(m.startAtAbs!);
});
port.postMessage({ type: 'ready' });
const startAtAbs = await started;
const counter = new Int32Array(input.counter);
const stats = createLiveStats(input.loaded.baseline.name, input.loaded.candidate.name, {});
const shard = createShard({
  loaded: input.loaded,
  runId: input.runId,
  shard: input.shard,
  startAt: startAtAbs - performance.timeOrigin,
  samplesFile: input.samplesFile,
  warmupFile: input.warmupFile,
  signal: ac.signal,
  claimIteration: () => Atomics.add(counter, 0, 1),
  stats,
});
const ticker = setInterval(() => port.postMessage({ type: 'stats', stats }), 200);
try {
  await shard.run();
  port.postMessage({ type: 'done', stats, state: shard.state() });
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message, state: shard.state() });
} finally {
  clearInterval(ticker);
  // The listening port would keep this thread alive: close it so the worker exits.
  port.close();
}
