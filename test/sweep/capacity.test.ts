import { describe, expect, it } from 'vitest';
import { judgeCapacity, kneeOf, sweepRates } from '../../harness/sweep/capacity.ts';

const steps = (rates: number[], statuses: string) => rates.map((rate, i) => ({ rate, status: ({ p: 'pass', f: 'fail', i: 'inconclusive' } as const)[statuses[i] as 'p' | 'f' | 'i'] }));

describe('knees and the capacity gate', () => {
  it('spreads the rates evenly, both ends included', () => {
    expect(sweepRates(10, 40, 4)).toEqual([10, 20, 30, 40]);
    expect(sweepRates(5, 5, 1)).toEqual([5]);
  });

  it('takes the knee from the passing steps at the bottom of the range', () => {
    const r = [10, 20, 30, 40];
    expect(kneeOf(steps(r, 'ppff'))).toEqual({ rate: 20, below: 30 });
    expect(kneeOf(steps(r, 'pppp'))).toEqual({ rate: 40, below: null });
    expect(kneeOf(steps(r, 'fppp'))).toEqual({ rate: null, below: 10 });
    // A later pass after a failure does not raise the knee.
    expect(kneeOf(steps(r, 'pfpf'))).toEqual({ rate: 10, below: 20 });
    expect(kneeOf(steps(r, 'pipf'))).toEqual({ rate: 10, below: null });
  });

  it('passes, fails or stays open on the interval the step resolution leaves', () => {
    const half = judgeCapacity('>=', 1, 'ratio', { rate: 20, below: 30 }, { rate: 10, below: 20 });
    expect(half.value).toBe(0.5);
    expect(half.status).toBe('fail');
    expect(judgeCapacity('>=', 1, 'ratio', { rate: 20, below: 30 }, { rate: 30, below: 40 }).status).toBe('pass');
    // Same knee: the truth could be either side of 1.0x.
    expect(judgeCapacity('>=', 1, 'ratio', { rate: 20, below: 30 }, { rate: 20, below: 30 }).status).toBe('inconclusive');
    expect(judgeCapacity('>=', 25, 'absolute', { rate: 20, below: 30 }, { rate: 20, below: 30 }).status).toBe('inconclusive');
    expect(judgeCapacity('>=', 30, 'absolute', { rate: 20, below: 30 }, { rate: 20, below: 30 }).status).toBe('fail');
  });

  it('never passes a candidate on a baseline whose knee is unknown or unbounded above', () => {
    // The baseline was inconclusive right above its knee: its capacity could be far higher.
    expect(judgeCapacity('>=', 0.9, 'ratio', { rate: 10, below: null }, { rate: 40, below: null }).status).toBe('inconclusive');
    // The candidate never failed within the range, the baseline did: the candidate is at least as good.
    expect(judgeCapacity('>=', 1, 'ratio', { rate: 20, below: 30 }, { rate: 40, below: null }).status).toBe('pass');
    // Neither target passed the first step: nothing is known.
    expect(judgeCapacity('>=', 1, 'ratio', { rate: null, below: 10 }, { rate: null, below: 10 }).status).toBe('inconclusive');
  });
});
