import { describe, expect, it } from 'vitest';
import { compileRules } from '../../harness/contracts/rules.ts';
import { compareResponses, type Observed } from '../../harness/contracts/normalize.ts';
import type { CompiledFlow, CompiledStep } from '../../harness/contracts/compile.ts';
import { ContractTally, summarizeStep } from '../../harness/contracts/tally.ts';
import type { StepObservation } from '../../harness/contracts/runner.ts';

/**
 * An array whose length varied between two baseline answers (a list that grows while the run
 * writes, a feed of recent events) was learned as `array_length` noise, and noise hid every length
 * difference at that pointer: a candidate answering an empty or truncated list compared clean
 * (the elements past the shorter list are never compared either). Noise now hides a candidate's
 * length only within the variation the baseline itself showed.
 */
const rules = compileRules([]);
const flow: CompiledFlow = { name: 'feed', vars: {}, repeat: 1, noise: 'same', steps: [] };
const step = { index: 0, name: 'list', stream: false, routes: { baseline: { method: 'GET', path: '/feed' }, candidate: { method: 'GET', path: '/feed' } }, headers: {}, body: undefined, captures: [], expect: { values: [], contains: [], matches: [], json: false }, rules } as unknown as CompiledStep;
const answer = (n: number): Observed => ({ status: 200, headers: {}, body: { items: Array.from({ length: n }, (_, i) => ({ id: i })) }, json: true, durationMs: 1 });
const opts = { headers: [], rules, body: true };

function judge(pairs: [baseline: number, replica: number, candidate: number][]) {
  const tally = new ContractTally();
  pairs.forEach(([b, r, c], i) => {
    const obs: StepObservation = { flow, step, iteration: i, requestId: `r${i}`, requests: {}, responses: { baseline: answer(b), candidate: answer(c) }, failures: {} };
    tally.add(obs, compareResponses(answer(b), answer(c), opts), compareResponses(answer(b), answer(r), opts));
  });
  return summarizeStep([...tally.steps.values()][0]!).summary;
}

describe('array_length noise', () => {
  it('does not hide a candidate that answers an empty or truncated list', () => {
    // The baseline's list grows by one between its two answers; the candidate's is empty or cut to 2.
    const s = judge([
      [10, 11, 0],
      [11, 12, 2],
      [12, 13, 12],
    ]);
    expect(s.noise.map((n) => n.pointer)).toEqual(['/items']);
    expect(s.drifted).toBe(2);
    expect(s.drift).toContainEqual(expect.objectContaining({ pointer: '/items', kind: 'array_length', count: 2 }));
  });

  it('still hides a length within what the baseline varied by', () => {
    const s = judge([
      [10, 12, 11],
      [11, 12, 13],
      [12, 12, 12],
    ]);
    expect(s.drifted).toBe(0);
  });
});
