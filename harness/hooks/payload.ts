import path from 'node:path';
import type { RunResult, Verdict } from '../run/result.ts';
import type { HookEvent } from './resolve.ts';

/** What a hook is told. The same facts go to exec hooks (env + stdin) and webhooks (POST body). */
export interface HookContext {
  event: HookEvent;
  verdict: Verdict;
  run: RunResult;
  /** Absolute path of run.json. */
  runJson: string;
  policy: { name: string; file: string };
}

/** The JSON on an exec hook's stdin and in a webhook's body. */
export function hookPayload(ctx: HookContext) {
  const { run, verdict } = ctx;
  return {
    event: ctx.event,
    verdict,
    policy: ctx.policy,
    run: {
      runId: run.runId,
      name: run.name,
      configFile: run.configFile,
      runJson: ctx.runJson,
      complete: run.complete,
      incompleteReason: run.incompleteReason ?? null,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      targets: run.targets,
    },
  };
}

/**
 * Environment for exec hooks. Values are passed as environment entries, never spliced into the
 * command line, so a gate name or run name like `$(touch /tmp/x)` arrives as those characters.
 */
export function hookEnv(ctx: HookContext): Record<string, string> {
  const { run, verdict } = ctx;
  const target = (role: 'baseline' | 'candidate') => run.targets.find((t) => t.role === role);
  return {
    PARITY_VERDICT: verdict.status,
    PARITY_EVENT: ctx.event,
    PARITY_RUN_JSON: ctx.runJson,
    PARITY_RUN_DIR: path.dirname(ctx.runJson),
    PARITY_RUN_ID: run.runId,
    PARITY_RUN_NAME: run.name,
    PARITY_RUN_COMPLETE: String(run.complete),
    PARITY_POLICY: ctx.policy.name,
    PARITY_POLICY_FILE: ctx.policy.file,
    PARITY_FAILED_GATES: verdict.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').map((g) => g.id).join(','),
    PARITY_REASONS: verdict.reasons.join('\n'),
    PARITY_BASELINE: target('baseline')?.name ?? '',
    PARITY_BASELINE_URL: target('baseline')?.baseUrl ?? '',
    PARITY_CANDIDATE: target('candidate')?.name ?? '',
    PARITY_CANDIDATE_URL: target('candidate')?.baseUrl ?? '',
  };
}
