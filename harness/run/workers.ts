import { withoutCompiledFlows } from '../config/flow-scenarios.ts';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.ts';
import { OutputError } from '../errors.ts';
import { threadShard, type Segment } from '../load/segment.ts';
import type { LiveStats } from './live-stats.ts';
import { joinParts } from './samples-file.ts';
import type { ShardState } from './shard.ts';
import type { WorkerInput } from './worker.ts';

/** Starts worker thread `index` with its input (tests hand in one that fails, to see the others stop). */
export type SpawnWorker = (index: number, data: WorkerInput) => Worker;
const spawnWorker: SpawnWorker = (_index, data) => new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: data });

/** Once every worker is ready, the schedule starts this much later (time for the start message to arrive). */
const START_DELAY_MS = 50;

export interface WorkersInput {
  loaded: LoadedConfig;
  runId: string;
  workers: number;
  dir: string;
  samplesFile: string;
  warmupFile: string;
  signal: AbortSignal;
  stats: LiveStats;
  /** The execution segment these workers share (its iteration numbers and slots are striped over them). */
  segment?: Segment | undefined;
  /** performance.now() at which the schedule starts (a segment's start signal); never earlier than all workers are ready. */
  startAt?: number | undefined;
  wallClockOffsetMs?: number | undefined;
}

/**
 * Spreads the load over worker threads, each a shard with its own target pools: arrival-rate
 * iterations i go to worker i mod N (the schedule holds), closed VUs likewise, and iteration
 * numbers come from one shared counter (pairing holds: both requests of an iteration leave from
 * the same worker). Live counters are summed from the workers' reports; at the end their states
 * (histograms and counts) merge, and their sample files are joined into one samples.ndjson.
 */
export function runWorkers(input: WorkersInput, spawn: SpawnWorker = spawnWorker): { states: () => ShardState[]; done: Promise<void>; started: Promise<number> } {
  let resolveStarted!: (at: number) => void;
  const started = new Promise<number>((r) => (resolveStarted = r));
  const counter = new SharedArrayBuffer(4);
  let ready = 0;
  const parts = Array.from({ length: input.workers }, (_, i) => ({ samples: `${input.samplesFile}.${i}`, warmup: `${input.warmupFile}.${i}` }));
  const finals: (ShardState | undefined)[] = [];
  const live: LiveStats[] = [];
  const sumStats = () => {
    input.stats.iterations = live.reduce((a, s) => a + s.iterations, 0);
    input.stats.dropped = live.reduce((a, s) => a + s.dropped, 0);
    for (const k of [0, 1] as const) {
      for (const f of ['inFlight', 'completed', 'errors', 'interruptions'] as const) input.stats.targets[k][f] = live.reduce((a, s) => a + s.targets[k][f], 0);
    }
  };
  const workers: Worker[] = [];
  /**
   * One worker failing (an error, a crash, a thread that dies before it is ready) stops the others:
   * the run is a harness error either way, and a worker waiting for a start that can no longer
   * come (every worker must be ready first) would wait forever, and the run with it.
   */
  let stopping = false;
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) w.postMessage({ type: 'abort' });
  };
  const threads = parts.map((p, index) => {
    const data: WorkerInput = {
      loaded: withoutCompiledFlows(input.loaded),
      runId: input.runId,
      shard: threadShard(input.segment, index, input.workers),
      segment: input.segment,
      wallClockOffsetMs: input.wallClockOffsetMs,
      samplesFile: p.samples,
      warmupFile: p.warmup,
      counter,
    };
    const w = spawn(index, data);
    workers.push(w);
    return new Promise<void>((resolve, fail) => {
      const reject = (err: unknown) => {
        stopAll();
        fail(err);
      };
      w.on('message', (m: { type: string; stats?: LiveStats; state?: ShardState; message?: string; code?: string; file?: string }) => {
        if (m.stats) {
          live[index] = m.stats;
          sumStats();
        }
        if (m.state) finals[index] = m.state;
        if (m.type === 'ready' && ++ready === input.workers) {
          const startAtAbs = Math.max(performance.timeOrigin + performance.now() + START_DELAY_MS, input.startAt === undefined ? 0 : performance.timeOrigin + input.startAt);
          resolveStarted(startAtAbs - performance.timeOrigin);
          for (const w of workers) w.postMessage({ type: 'start', startAtAbs });
        }
        if (m.type === 'error') {
          // A write that failed (disk full, read-only) ends the whole run, with its code.
          if (m.code === 'PARITY_OUTPUT_FAILED') {
            reject(new OutputError(m.file ?? input.samplesFile, m.message ?? 'cannot write'));
          } else reject(new Error(`worker ${index}: ${m.message}`));
        }
      });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 || finals[index] ? resolve() : reject(new Error(`worker ${index} exited with code ${code}`))));
      input.signal.addEventListener('abort', () => w.postMessage({ type: 'abort' }), { once: true });
    });
  });
  const done = (async () => {
    const settled = await Promise.allSettled(threads);
    await joinParts(parts.map((p) => p.samples), input.samplesFile);
    const warmups = parts.map((p) => p.warmup);
    if (warmups.some((w) => existsSync(w))) await joinParts(warmups, input.warmupFile);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  })();
  return { states: () => finals.filter((s) => s !== undefined), done, started };
}
