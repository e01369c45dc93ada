import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { recompileFlows } from '../config/flow-scenarios.ts';
import type { LoadedConfig } from '../config/load.ts';
import { segmentIteration, type Segment } from '../load/segment.ts';
import { createLiveStats } from './live-stats.ts';
import { createShard } from './shard.ts';

/** What the run hands a worker thread (see workers.ts). */
export interface WorkerInput {
  loaded: LoadedConfig;
  runId: string;
  shard: { index: number; count: number };
  /** The execution segment this run is (closed-model iteration numbers are its stripe). */
  segment?: Segment | undefined;
  wallClockOffsetMs?: number | undefined;
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
  // Stopped before the start (Ctrl-C, or another worker failed): the shard starts now, aborted, and ends at once with its empty state.
  if (m.type === 'abort') {
    ac.abort();
    start(performance.timeOrigin + performance.now());
  }
  if (m.type === 'start') start(m.startAtAbs!);
});
port.postMessage({ type: 'ready' });
const startAtAbs = await started;
const counter = new Int32Array(input.counter);
const stats = createLiveStats(input.loaded.baseline.name, input.loaded.candidate.name, {});
let failed: unknown;
const shard = createShard({
  loaded: input.loaded,
  runId: input.runId,
  shard: input.shard,
  startAt: startAtAbs - performance.timeOrigin,
  wallClockOffsetMs: input.wallClockOffsetMs,
  samplesFile: input.samplesFile,
  warmupFile: input.warmupFile,
  signal: ac.signal,
  claimIteration: () => segmentIteration(input.segment, Atomics.add(counter, 0, 1)),
  stats,
  // A pair that cannot be written stops this worker; the run stops all of them (workers.ts).
  fail: (err) => {
    failed ??= err;
    ac.abort();
  },
});
const ticker = setInterval(() => port.postMessage({ type: 'stats', stats }), 200);
try {
  await shard.run();
  if (failed) throw failed;
  port.postMessage({ type: 'done', stats, state: shard.state() });
} catch (err) {
  const e = (failed ?? err) as Error & { code?: string; file?: string };
  port.postMessage({ type: 'error', message: e.message, code: e.code, file: e.file, state: shard.state() });
} finally {
  clearInterval(ticker);
  // The listening port would keep this thread alive: close it so the worker exits.
  port.close();
}
