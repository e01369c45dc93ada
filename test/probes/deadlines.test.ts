import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../harness/probes/deadlines.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Deadline: a timer for many streams sharing a duration', () => {
  it('fires once, never before its time, in the order set', async () => {
    const fired: [number, number][] = [];
    const t0 = performance.now();
    const ds = [0, 1, 2, 3, 4].map((i) => new Deadline(() => fired.push([i, performance.now() - t0])));
    for (const d of ds) {
      d.set(80);
      await sleep(5);
    }
    await sleep(200);
    expect(fired.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    for (const [i, at] of fired) expect(at).toBeGreaterThanOrEqual(80 + i * 5 - 1);
  });

  it('a cancelled deadline does not fire; set again restarts it from now', async () => {
    let a = 0;
    let b = 0;
    const da = new Deadline(() => a++);
    const db = new Deadline(() => b++);
    const t0 = performance.now();
    da.set(60);
    db.set(60);
    da.cancel();
    await sleep(40);
    db.set(60); // pushed back: due about 100 ms after t0
    await sleep(35);
    expect(b).toBe(0);
    await sleep(60);
    expect([a, b]).toEqual([0, 1]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('holds no Node timer once nothing is pending (the process may exit)', async () => {
    const before = timers();
    const ds = Array.from({ length: 100 }, () => new Deadline(() => undefined));
    for (const d of ds) d.set(10_000);
    expect(timers()).toBe(before + 1);
    for (const d of ds) d.cancel();
    expect(timers()).toBe(before);
  });
});
