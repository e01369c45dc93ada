import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { segmentConfig, writeConfig } from '../segments/helpers.ts';

/**
 * `maxInFlight` is split between the threads that share the plan (worker threads × segments). With
 * fewer than one per thread, a thread got a bound of 0 and counted every start it was given as
 * dropped: `maxInFlight: 1` on `--workers 2` dropped half the plan without sending it, and the
 * verdict blamed a busy backend ("maxInFlight in flight"). A plan that cannot be sent as written is
 * refused before any traffic, as a closed model with fewer VUs than segments already is. So is a
 * target's `connections` below one per thread: each thread's pool got at least one, so the threads
 * together opened more connections than the target allows, and queued less behind them.
 */
describe('maxInFlight below one per thread', () => {
  it('is refused before any traffic (exit 3), for workers and for segments', async () => {
    const ws = tempWorkspace();
    // Nothing listens on port 9: any request would fail preflight, so these must stop before it.
    const cfg = segmentConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile, load: { model: 'constant-arrival-rate', rate: 10, duration: '1s', maxInFlight: 1 } });
    const file = writeConfig(path.join(ws.dir, 'c.json'), cfg);
    const workers = await runCli(['run', file, '--workers', '2', '--run-id', 'w', '--out', ws.out]);
    expect(workers.code, workers.stderr).toBe(3);
    expect(workers.stderr).toMatch(/PARITY_USAGE[\s\S]*load\.maxInFlight is 1 but the load is split over 2 threads/);
    const ramp = writeConfig(path.join(ws.dir, 'r.json'), { ...cfg, load: { model: 'ramping-arrival-rate', stages: [{ duration: '1s', target: 10 }], maxInFlight: 3 } });
    const segs = await runCli(['run', ramp, '--segment', '1/2', '--workers', '2', '--start-at', new Date(Date.now() + 60_000).toISOString(), '--out', ws.out]);
    expect(segs.code, segs.stderr).toBe(3);
    expect(segs.stderr).toMatch(/load\.maxInFlight is 3 but the load is split over 4 threads \(2 segments × 2 workers\)/);
    expect(existsSync(ws.out) ? readdirSync(ws.out) : []).toEqual([]);
    // A target's connections are split likewise; each thread's pool has at least one, so fewer than
    // one per thread would open more than the target allows (less queueing: better latencies).
    const pooled = writeConfig(path.join(ws.dir, 'p.json'), { ...cfg, load: { vus: 4, iterations: 8 }, targets: cfg.targets.map((t, i) => (i === 1 ? { ...t, connections: 2 } : t)) });
    const pools = await runCli(['run', pooled, '--workers', '4', '--run-id', 'p', '--out', ws.out]);
    expect(pools.code, pools.stderr).toBe(3);
    expect(pools.stderr).toMatch(/targets\[1\]\.connections is 2 but the load is split over 4 threads/);
    expect(existsSync(ws.out) ? readdirSync(ws.out) : []).toEqual([]);
    // One per thread is enough.
    const ok = await runCli(['run', file, '--workers', '1', '--run-id', 'one', '--out', ws.out]);
    expect(ok.stderr).not.toMatch(/maxInFlight/);
  }, 60_000);
});
