import { z } from 'zod';
import { Duration, SecondsScaleDuration } from '../config/schema.ts';

/**
 * Hook specs, as written in a policy's `hooks` section:
 *
 *   onFail:
 *     - exec: [node, scenarios/hooks/rollback-frontend.mjs, --env-file, frontend/.env.local]
 *       timeout: 30s
 *     - webhook: https://deploy.example/rollback
 *       retries: 3
 *
 * An exec hook is an argv list run without a shell; a single command string is accepted only with
 * `shell: true`, an explicit opt-in. Report values reach hooks through environment variables and
 * stdin, never through the command line.
 */
export const ExecHook = z
  .strictObject({
    exec: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    /** Run `exec` through /bin/sh. Off by default: argv is executed as given. */
    shell: z.boolean().default(false),
    /** Working directory, relative to the policy file (default: the current directory). */
    cwd: z.string().optional(),
    /** Extra environment; values may use `${ENV_VAR}` and are scrubbed from recorded output. */
    env: z.record(z.string(), z.string()).default({}),
    /** Killed (process group, SIGTERM then SIGKILL) and reported as timed out past this. */
    timeout: SecondsScaleDuration.default(60_000),
  })
  .refine((h) => typeof h.exec !== 'string' || h.shell, {
    message: 'a command string runs through a shell: give argv as a list, e.g. ["./rollback.sh", "--now"], or set "shell: true" to opt in',
    path: ['exec'],
  });

export const WebhookHook = z.strictObject({
  /** POSTed the verdict JSON. `${ENV_VAR}` allowed; the URL is recorded as written, never substituted. */
  webhook: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  /** Per attempt. */
  timeout: SecondsScaleDuration.default(10_000),
  /** Extra attempts after a network error, a timeout, a 5xx or a 429. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Wait before retry k is backoff × 2^(k−1). */
  backoff: Duration.default(500),
});

export const Hook = z.union([ExecHook, WebhookHook]);
export type HookSpec = z.output<typeof Hook>;
export type ExecHookSpec = z.output<typeof ExecHook>;
export type WebhookHookSpec = z.output<typeof WebhookHook>;

const HookList = z.union([Hook, z.array(Hook)]).transform((h) => (Array.isArray(h) ? h : [h]));

export const Hooks = z.strictObject({
  onPass: HookList.default([]),
  onFail: HookList.default([]),
  onInconclusive: HookList.default([]),
});
export type HooksSpec = z.output<typeof Hooks>;
export type HooksInput = z.input<typeof Hooks>;
