import { withoutCompiledFlows } from '../config/flow-scenarios.ts';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { LoadedConfig } from '../config/load.ts';
import type { LiveStats } from './live-stats.ts';
import type { ShardState } from './shard.ts';
import type { WorkerInput } from './worker.ts';

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
}

/**
 * Spreads the load over worker threads, each a shard with its own target pools: arrival-rate
 * iterations i go to worker i mod N (the schedule holds), closed VUs likewise, and iteration
 * numbers come from one shared counter (pairing holds: both requests of an iteration leave from
 * the same worker). Live counters are summed from the workers' reports; at the end their states
 * (histograms and counts) merge, and their sample files are joined into one samples.ndjson.
 */
export function runWorkers(input: WorkersInput): { states: () => ShardState[]; done: Promise<void> } {
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
  const threads = parts.map((p, index) => {
    const data: WorkerInput = {
      loaded: withoutCompiledFlows(input.loaded),
      runId: input.runId,
      shard: { index, count: input.workers },
      samplesFile: p.samples,
      warmupFile: p.warmup,
      counter,
    };
    const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: data });
    workers.push(w);
    return new Promise<void>((resolve, reject) => {
      w.on('message', (m: { type: string; stats?: LiveStats; state?: ShardState; message?: string }) => {
        if (m.stats) {
          live[index] = m.stats;
          sumStats();
        }
        if (m.state) finals[index] = m.state;
        if (m.type === 'ready' && ++ready === input.workers) {
          const startAtAbs = performance.timeOrigin + performance.now() + START_DELAY_MS;
          for (const w of workers) w.postMessage({ type: 'start', startAtAbs });
        }
        if (m.type === 'error') reject(new Error(`worker ${index}: ${m.message}`));
      });
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 || finals[index] ? resolve() : reject(new Error(`worker ${index} exited with code ${code}`))));
      input.signal.addEventListener('abort', () => w.postMessage({ type: 'abort' }), { once: true });
    });
  });
  const done = (async () => {
    const settled = await Promise.allSettled(threads);
    await join(parts.map((p) => p.samples), input.samplesFile);
    await join(parts.map((p) => p.warmup), input.warmupFile, true);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  })();
  return { states: () => finals.filter((s) => s !== undefined), done };
}

/** Concatenates the workers' NDJSON parts into one file and removes the parts. */
async function join(parts: string[], into: string, optional = false): Promise<void> {
  const present: string[] = [];
  for (const p of parts) {
    try {
      await pipeline(createReadStream(p), createWriteStream(into, { flags: present.length ? 'a' : 'w' }));
      present.push(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (!present.length && !optional) createWriteStream(into).end();
  await Promise.all(present.map((p) => rm(p, { force: true })));
}
