import type { StepStatus } from './capacity.ts';
import type { CapacityGateResult, SweepStep } from './result.ts';

/**
 * The sweep's verdict, as its exit code gives it and its reports say it: the capacity gates'
 * (fail over inconclusive over pass; none without a gate), held back from a pass by an interrupted
 * sweep or a step that did not complete without being cut short (a step cut short by the early
 * stop is incomplete by design: both targets already failed there). sweep.md and sweep.html read
 * PASS over an exit 2 for such a step before. Pure.
 */
export function sweepVerdict(
  gates: readonly Pick<CapacityGateResult, 'status'>[],
  steps: readonly Pick<SweepStep, 'rate' | 'run' | 'complete' | 'stoppedEarly'>[],
  stoppedEarly: string | null,
): { verdict: StepStatus | null; heldBack: string[] } {
  const heldBack = [
    ...(stoppedEarly === 'interrupted' ? ['the sweep was interrupted: the steps above were not run'] : []),
    ...steps.filter((s) => !s.complete && s.stoppedEarly === null).map((s) => `the step at ${s.rate} did not complete (${s.run}): its rate was not proven`),
  ];
  const gated: StepStatus | null = gates.length === 0 ? null : gates.some((g) => g.status === 'fail') ? 'fail' : gates.some((g) => g.status === 'inconclusive') ? 'inconclusive' : 'pass';
  return { verdict: gated === 'pass' && heldBack.length ? 'inconclusive' : gated, heldBack };
}
