import type { HookResult } from '../run/result.ts';
import { Scrubber, SENSITIVE_HEADER } from '../secrets/scrubber.ts';
import { runExec, TAIL } from './exec.ts';
import { hookEnv, hookPayload, type HookContext } from './payload.ts';
import type { HookEvent, ResolvedHook, ResolvedHooks } from './resolve.ts';
import { postWebhook } from './webhook.ts';

export interface FireOptions {
  /** Print what would fire; run nothing. */
  dryRun: boolean;
  /** Substituted secrets, scrubbed from recorded output. */
  secrets: readonly string[];
  /** One line per hook, as it fires. */
  log?: (line: string) => void;
  /** Before each hook runs, with what run.json and the audit record while it runs (awaited: audit before action). */
  before?: (started: HookResult) => Promise<void>;
  /** After each hook, with its result (also for a hook not started: see `proceed`). */
  after?: (result: HookResult) => Promise<void>;
  /** Checked before each hook: false (parity was interrupted) records the rest as not run. */
  proceed?: () => boolean;
}

/**
 * Fires the hooks for the verdict, one after another in the order written, and returns what
 * each did. onPass is fired only for a complete run: the verdict already cannot be `pass` for an
 * incomplete one, and this check stands behind it so no future path can promote on part of a run.
 */
export async function fireHooks(hooks: ResolvedHooks, ctx: Omit<HookContext, 'event'>, opts: FireOptions): Promise<HookResult[]> {
  const event: HookEvent = ctx.verdict.status;
  const log = opts.log ?? (() => undefined);
  if (event === 'pass' && !ctx.run.complete) {
    log(`onPass not fired: the run is incomplete (${ctx.run.incompleteReason ?? 'unknown reason'})`);
    return [];
  }
  const full: HookContext = { ...ctx, event };
  const scrubber = new Scrubber(opts.secrets);
  // What parity tells a hook (payload, PARITY_* variables) never carries a secret; the hook's own env and headers are its to send.
  const payload = JSON.stringify(scrubber.scrubDeep(hookPayload(full)));
  const env = scrubber.scrubDeep(hookEnv(full));
  const results: HookResult[] = [];
  for (const hook of hooks[event]) {
    let r: HookResult;
    if (opts.dryRun) r = dryRunResult(event, hook);
    else if (opts.proceed && !opts.proceed()) r = { ...dryRunResult(event, hook), dryRun: false, ok: false, error: NOT_RUN };
    else {
      await opts.before?.({ ...dryRunResult(event, hook), dryRun: false, ok: false, error: STARTED });
      r = await fire(event, hook, env, payload, scrubber);
    }
    log(scrubber.scrub(describe(event, hook, r)));
    results.push(r);
    await opts.after?.(r);
  }
  return results;
}

/** What run.json and the audit say of a hook while it runs: if parity dies now, the record shows it started. */
export const STARTED = 'started; no result recorded (parity stopped while it ran, if this is the final record)';
export const NOT_RUN = 'not run: parity was interrupted before this hook started';
export const ABANDONED = 'abandoned: parity was stopped again while this hook ran; the hook may still be running and its outcome is unknown';

/**
 * Values of parity's own environment that an exec hook inherits under a credential-like name
 * (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, DEPLOY_PASSWORD): a rollback script that prints its
 * environment (`set -x`, `env` while debugging) put a CI's tokens in run.json, the audit log and
 * the reports. Scrubbed from hook output; 8+ characters, so a flag like USE_AUTH=true stays readable.
 */
export function inheritedSecrets(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v !== undefined && v.length >= 8 && SENSITIVE_HEADER.test(k))
    .map(([, v]) => v!);
}

async function fire(event: HookEvent, hook: ResolvedHook, env: Record<string, string>, payload: string, known: Scrubber): Promise<HookResult> {
  // An exec hook inherits parity's environment, and its output may echo it.
  const scrubber = hook.kind === 'exec' ? known.with(inheritedSecrets(process.env)) : known;
  const scrub = (s: string) => scrubber.scrub(s);
  // Scrubbed before the cut to the tail: a secret straddling the cut would otherwise leave its end behind.
  const tail = (s: string) => scrub(s).slice(-TAIL);
  if (hook.kind === 'exec') {
    const o = await runExec(hook, env, payload);
    const r: HookResult = {
      on: event,
      kind: 'exec',
      target: hook.display,
      ok: o.exitCode === 0 && !o.timedOut && !o.error,
      dryRun: false,
      exitCode: o.exitCode,
      httpStatus: null,
      attempts: 1,
      timedOut: o.timedOut,
      durationMs: o.durationMs,
      stdoutTail: tail(o.stdout),
      stderrTail: tail(o.stderr),
    };
    const error = o.error ?? (o.exitCode !== 0 ? (o.signal ? `killed by ${o.signal}` : `exited with ${o.exitCode}`) : undefined);
    if (error) r.error = scrub(error);
    return r;
  }
  const o = await postWebhook(hook, payload);
  const r: HookResult = {
    on: event,
    kind: 'webhook',
    target: hook.display,
    ok: o.delivered,
    dryRun: false,
    exitCode: null,
    httpStatus: o.httpStatus,
    attempts: o.attempts,
    timedOut: o.timedOut,
    durationMs: o.durationMs,
    stdoutTail: tail(o.body),
    stderrTail: '',
  };
  if (o.error) r.error = scrub(o.error);
  return r;
}

function dryRunResult(event: HookEvent, hook: ResolvedHook): HookResult {
  return {
    on: event,
    kind: hook.kind,
    target: hook.display,
    ok: true,
    dryRun: true,
    exitCode: null,
    httpStatus: null,
    attempts: 0,
    timedOut: false,
    durationMs: 0,
    stdoutTail: '',
    stderrTail: '',
  };
}

function describe(event: HookEvent, hook: ResolvedHook, r: HookResult): string {
  const what = hook.kind === 'exec' ? `${hook.shell ? 'sh -c ' : ''}${hook.argv.map((a) => JSON.stringify(a)).join(' ')}` : `POST ${hook.display}`;
  const on = `on${event[0]!.toUpperCase()}${event.slice(1)}`;
  if (r.dryRun) return `${on}: would run ${what} (dry run: nothing executed)`;
  if (r.error === NOT_RUN) return `${on}: ${what} → ${NOT_RUN}`;
  const how = r.kind === 'exec' ? `exit ${r.exitCode ?? '–'}` : `HTTP ${r.httpStatus ?? '–'} after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
  return `${on}: ${what} → ${r.ok ? 'ok' : 'FAILED'} (${how}, ${r.durationMs} ms${r.error ? `; ${r.error}` : ''})`;
}
