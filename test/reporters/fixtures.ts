import type { RunResult } from '../../harness/run/result.ts';
import { syntheticRun, withAllSections } from '../helpers/run-fixture.ts';

/** A night where the candidate is slower and less reliable than the baseline: some gates fail. */
export function failingRun(): RunResult {
  return withAllSections(
    syntheticRun({
      runId: '20261120T020000Z-a1b2',
      startedAt: '2026-11-20T02:00:00.000Z',
      baseline: { name: 'python', firstContentMs: 40, gapMs: 9, faults: { reset: 0.01 } },
      candidate: { name: 'node', firstContentMs: 60, gapMs: 9.5, faults: { reset: 0.03, stalled: 0.01, http_error: 0.01 }, citationDrop: 0.08 },
    }),
  );
}

/** The same run without any of the optional sections: what a run with no policy and no contracts stores. */
export function plainRun(): RunResult {
  const { verdict: _v, hooks: _h, contracts: _c, harness: _hh, ...rest } = failingRun();
  return rest;
}
