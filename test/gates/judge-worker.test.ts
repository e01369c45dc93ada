import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { PolicyJudge } from '../../harness/gates/judge-worker.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { pairs, runOf } from '../helpers/gates.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('PolicyJudge: a policy judged in a thread of its own', () => {
  it('gives the verdict the main thread would, while the main thread stays free (a shadow proxy keeps serving)', async () => {
    const policy = await loadPolicy(path.join(ROOT, 'scenarios/policies/seed-000-stage-b.yaml'), process.env);
    // 20,000 pairs, the candidate slower and interrupted more often: a bootstrap that takes its time.
    const ps = pairs(
      20_000,
      (i) => ({ completionMs: 100 + (i % 37), firstContentMs: 10 + (i % 11) }),
      (i) => ({ completionMs: 130 + (i % 41), firstContentMs: 14 + (i % 13), ...(i % 25 === 0 ? { outcome: 'reset' as const, completionMs: undefined } : {}) }),
    );
    const run = runOf(ps);
    const gps = ps.map(gatePair);
    const judge = new PolicyJudge(policy, process.env);
    try {
      await judge.ready();
      for (const p of gps) judge.add(7, p);

      // The main thread's event loop while the judge works: a 5 ms tick, its longest gap recorded.
      let last = performance.now();
      let longest = 0;
      const tick = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      const t0 = performance.now();
      const verdict = await judge.evaluate(7, run);
      const judgedMs = performance.now() - t0;
      clearInterval(tick);

      const t1 = performance.now();
      const here = evaluatePolicy(policy, run, gps);
      const hereMs = performance.now() - t1;
      expect(verdict.status).toBe(here.status);
      expect(verdict.status).toBe('fail');
      expect(verdict.gates.map((g) => [g.id, g.status])).toEqual(here.gates.map((g) => [g.id, g.status]));
      // The same judgement holds this thread for hereMs when run here; off-thread the loop kept ticking.
      expect(hereMs, `judged here in ${hereMs} ms`).toBeGreaterThan(150);
      expect(longest, `longest gap ${longest} ms while the judge took ${judgedMs} ms`).toBeLessThan(hereMs / 2);

      // failsSoFar on the same bucket; a dropped bucket judges no pairs (too few: never fails).
      expect((await judge.failsSoFar(7, run))?.status).toBe('fail');
      judge.drop(7);
      expect(await judge.failsSoFar(7, run)).toBeNull();
      await expect(judge.call('noSuchJudgement', 7, run)).rejects.toThrow('no judgement named "noSuchJudgement"');
    } finally {
      await judge.close();
    }
  }, 60_000);

  it('a judge whose policy cannot load is broken, and every call says so (callers judge on their own thread)', async () => {
    const policy = await loadPolicy(path.join(ROOT, 'scenarios/policies/seed-000-stage-b.yaml'), process.env);
    const warned: string[] = [];
    const judge = new PolicyJudge({ ...policy, file: path.join(ROOT, 'no-such-policy.yaml') }, process.env, { warn: (l) => warned.push(l) });
    await judge.ready();
    expect(judge.broken).toMatch(/no-such-policy\.yaml/);
    await expect(judge.evaluate(1, runOf([]))).rejects.toThrow(/no-such-policy/);
    expect(warned.join('')).toMatch(/judge thread failed/);
    await judge.close();
  }, 30_000);
});
