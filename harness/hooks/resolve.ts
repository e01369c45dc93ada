import path from 'node:path';
import { substituteEnv } from '../config/env.ts';
import { checkHeaderCase, checkHeaderName, checkHeaderValue } from '../config/sendable.ts';
import type { ConfigIssue } from '../errors.ts';
import { userinfoAsBasic } from '../config/userinfo.ts';
import { Scrubber, SENSITIVE_HEADER, stripUserinfo, urlSecrets } from '../secrets/scrubber.ts';
import { checkExecHook } from './available.ts';
import type { HookSpec, HooksSpec } from './schema.ts';

export type HookEvent = 'pass' | 'fail' | 'inconclusive';

export interface ExecHook {
  kind: 'exec';
  /** argv (no shell), or one command string for /bin/sh when `shell` is set. */
  argv: string[];
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** What run.json and the audit log name: argv[0] (or the shell command). */
  display: string;
}

export interface WebhookHook {
  kind: 'webhook';
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  /** The URL as written (before `${ENV}` substitution), credentials stripped. */
  display: string;
}

export type ResolvedHook = ExecHook | WebhookHook;
export type ResolvedHooks = Record<HookEvent, ResolvedHook[]>;

const KEYS: Record<HookEvent, keyof HooksSpec> = { pass: 'onPass', fail: 'onFail', inconclusive: 'onInconclusive' };

/**
 * Substitutes `${ENV}` in webhook URLs/headers and exec env values, checks URLs, resolves `cwd`
 * against the policy file and checks that each exec hook could start (available.ts). Problems go to `issues` (path under `hooks.`); substituted
 * values go to `secrets`, scrubbed from everything recorded.
 */
export function resolveHooks(spec: HooksSpec | undefined, policyFile: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], secrets: string[]): ResolvedHooks {
  const out: ResolvedHooks = { pass: [], fail: [], inconclusive: [] };
  if (!spec) return out;
  // `sensitiveName`: a header or env name that looks like a credential (authorization, DEPLOY_TOKEN, ...):
  // its value is a secret even when written literally, as a target's sensitive headers are. A receiver
  // that answers 401 "invalid token <value>" put it in run.json, the audit log and the terminal.
  const sub = (template: string, at: string, sensitiveName?: string): string => {
    const s = substituteEnv(template, env);
    for (const name of s.missing) issues.push({ path: at, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
    if (s.usedEnv) secrets.push(s.value, ...s.values);
    else if (sensitiveName !== undefined && SENSITIVE_HEADER.test(sensitiveName)) secrets.push(s.value);
    return s.value;
  };
  for (const event of Object.keys(KEYS) as HookEvent[]) {
    spec[KEYS[event]].forEach((h: HookSpec, i) => {
      const at = `hooks.${KEYS[event]}[${i}]`;
      if ('exec' in h) {
        const argv = typeof h.exec === 'string' ? [h.exec] : h.exec;
        const hookEnv = Object.fromEntries(Object.entries(h.env).map(([k, v]) => [k, sub(v, `${at}.env.${k}`, k)]));
        const hook: ExecHook = {
          kind: 'exec',
          argv,
          shell: h.shell,
          cwd: h.cwd ? path.resolve(path.dirname(path.resolve(policyFile)), h.cwd) : process.cwd(),
          env: hookEnv,
          timeoutMs: h.timeout,
          display: argv[0]!,
        };
        // A rollback that cannot start is found now, before any traffic, not when it is needed.
        checkExecHook(hook, h.cwd, at, issues);
        out[event].push(hook);
      } else {
        const url = sub(h.webhook, `${at}.webhook`);
        const parsed = URL.canParse(url) ? new URL(url) : null;
        // A webhook whose secret is its path or query (Slack, Discord, signed URLs): scrubbed wherever it is echoed, its display included.
        const inUrl = parsed ? urlSecrets(parsed) : [];
        secrets.push(...inUrl);
        if (!parsed || !/^https?:$/.test(parsed.protocol)) issues.push({ path: `${at}.webhook`, message: `"${h.webhook}" is not an http(s) URL; expected e.g. "https://deploy.example/rollback"` });
        const headers = Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k.toLowerCase(), sub(v, `${at}.headers.${k}`, k)]));
        let sent = url;
        const basic = parsed ? userinfoAsBasic(parsed, `${at}.webhook`, issues) : undefined;
        if (basic) {
          // Sent as Basic auth, as a target's baseUrl is (the HTTP client would drop it and POST without credentials).
          secrets.push(...basic.secrets);
          if (headers.authorization !== undefined) issues.push({ path: `${at}.webhook`, message: 'the URL has credentials (user:password@) and the hook also sets headers.authorization; keep one of them' });
          else headers.authorization = basic.authorization;
          sent = basic.href;
        }
        // A webhook header that cannot be sent would fail the promotion or rollback only when it fires: refused now.
        // Two spellings of one name are one header: keyed in lower case above, one value was silently dropped.
        checkHeaderCase(Object.keys(h.headers), `${at}.headers`, issues);
        for (const [k, v] of Object.entries(h.headers)) {
          checkHeaderName(k, `${at}.headers.${k}`, issues);
          checkHeaderValue(headers[k.toLowerCase()] ?? '', `${at}.headers.${k}`, issues, v.includes('${'));
        }
        out[event].push({ kind: 'webhook', url: sent, headers, timeoutMs: h.timeout, retries: h.retries, backoffMs: h.backoff, display: new Scrubber(inUrl).scrub(stripUserinfo(h.webhook)) });
      }
    });
  }
  return out;
}
