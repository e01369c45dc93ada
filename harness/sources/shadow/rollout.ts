/**
 * Rollout semantics over judged windows, like Flagger's analysis: roll back after `failureLimit`
 * consecutive failing windows, promote after `passWindows` consecutive passing windows once
 * `minSoak` has passed. An inconclusive window neither promotes nor rolls back: it breaks a run of
 * passes (a promotion needs passes in a row) and leaves the failure count as it is. Pure.
 */
export type WindowStatus = 'pass' | 'fail' | 'inconclusive';
export type Decision = 'promote' | 'rollback' | 'continue';

export interface RolloutState {
  windows: number;
  consecutiveFailures: number;
  consecutivePasses: number;
  decision: Decision;
}

export const initialRollout = (): RolloutState => ({ windows: 0, consecutiveFailures: 0, consecutivePasses: 0, decision: 'continue' });

export function nextRollout(
  s: RolloutState,
  window: WindowStatus,
  opts: { failureLimit: number; passWindows: number; minSoakMs: number; elapsedMs: number },
): RolloutState {
  if (s.decision !== 'continue') return s;
  const failures = window === 'fail' ? s.consecutiveFailures + 1 : window === 'pass' ? 0 : s.consecutiveFailures;
  const passes = window === 'pass' ? s.consecutivePasses + 1 : 0;
  const decision: Decision = failures >= opts.failureLimit ? 'rollback' : passes >= opts.passWindows && opts.elapsedMs >= opts.minSoakMs ? 'promote' : 'continue';
  return { windows: s.windows + 1, consecutiveFailures: failures, consecutivePasses: passes, decision };
}
