import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../harness/config/load.ts';
import { createLiveStats } from '../../harness/run/live-stats.ts';
import { runWorkers, type SpawnWorker } from '../../harness/run/workers.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * The schedule starts once every worker thread is ready. A thread that dies before it is ready
 * (a crash in its start-up: out of memory, a module that fails to load) used to leave the others
 * waiting for a start that could never come, and the run hung with them. Now any worker's failure
 * stops the others and the run ends with that failure (a harness error). No traffic: the targets
 * are never reached (nothing starts), so they need not exist.
 */
describe('a worker thread that fails before the start', () => {
  it('stops the other workers and ends the run with its error, without hanging', async () => {
    const ws = tempWorkspace();
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: 'http://127.0.0.1:9/', candidateUrl: 'http://127.0.0.1:9/', promptsFile: ws.promptsFile, load: { vus: 4, iterations: undefined, duration: '30s' } })));
    const loaded = await loadConfig(ws.configFile);
    const exits: (number | undefined)[] = [];
    const spawned: Worker[] = [];
    const real: SpawnWorker = (_i, data) => new Worker(new URL('../../harness/run/worker-entry.mjs', import.meta.url), { workerData: data });
    const spawn: SpawnWorker = (index, data) => {
      // Worker 1 crashes while starting, as a thread out of memory would; worker 0 is the real one.
      const w = index === 1 ? new Worker('throw new Error("boom before ready")', { eval: true }) : real(index, data);
      w.on('exit', (code) => (exits[index] = code));
      spawned.push(w);
      return w;
    };
    const stats = createLiveStats(loaded.baseline.name, loaded.candidate.name, {});
    const files = { samplesFile: path.join(ws.dir, 'samples.ndjson'), warmupFile: path.join(ws.dir, 'warmup.ndjson') };
    const run = runWorkers({ loaded, runId: 'r', workers: 2, dir: ws.dir, ...files, signal: new AbortController().signal, stats }, spawn);
    let started = false;
    run.started.then(() => (started = true), () => undefined);
    const t0 = Date.now();
    await expect(run.done).rejects.toThrow(/boom before ready/);
    // The real worker ended on its own (it was told to stop) well before its 30 s schedule could have run.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(exits[0]).toBe(0);
    expect(started).toBe(false);
    expect(stats.iterations).toBe(0);
  }, 40_000);
});
