import { setTimeout as sleep } from 'node:timers/promises';
import type { PreflightCheckResult } from '../run/result.ts';
import type { LiveTarget } from './target.ts';

export interface PreflightSettings {
  retries: number;
  interval: number;
  timeout: number;
}

/**
 * Checks every health route of every target before any load: each must answer its expected
 * status within `retries` further attempts, `interval` ms apart. Returns every check's result;
 * the caller decides to stop. `onRetry` hears of each check's first miss when it will be retried
 * (the default 5 retries 2 s apart are 10 s of silence otherwise, before the error says why).
 */
export async function runPreflight(targets: readonly LiveTarget[], settings: PreflightSettings, signal?: AbortSignal, onRetry?: (notice: string) => void): Promise<PreflightCheckResult[]> {
  const checks = targets.flatMap((t) => t.config.health.map((h) => ({ t, h })));
  return Promise.all(
    checks.map(async ({ t, h }) => {
      const path = new URL(t.config.baseUrl).pathname.replace(/\/+$/, '') + h.path;
      let status: number | null = null;
      let error: string | undefined;
      let attempts = 0;
      for (let i = 0; i <= settings.retries && !signal?.aborted; i++) {
        if (i === 1) onRetry?.(`preflight: target "${t.config.name}" GET ${h.path} answered ${status ?? error ?? 'nothing'} (expected ${h.status}); retrying up to ${settings.retries} more time${settings.retries === 1 ? '' : 's'}, ${settings.interval} ms apart`);
        if (i > 0) await sleep(settings.interval, undefined, { signal }).catch(() => undefined);
        attempts++;
        try {
          const res = await t.pool.request({ method: 'GET', path, headersTimeout: settings.timeout, signal: AbortSignal.timeout(settings.timeout) });
          await res.body.dump();
          status = res.statusCode;
          error = undefined;
          if (status === h.status) break;
        } catch (err) {
          status = null;
          const e = err as NodeJS.ErrnoException;
          error = `${e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.name}: ${e.message}`;
        }
      }
      const result: PreflightCheckResult = { target: t.config.name, path: h.path, expectedStatus: h.status, status, ok: status === h.status, attempts };
      if (error) result.error = error;
      return result;
    }),
  );
}

export function describePreflightFailures(results: readonly PreflightCheckResult[]): string {
  const failed = results.filter((r) => !r.ok);
  const lines = failed.map(
    (r) =>
      `  ✖ target "${r.target}" GET ${r.path}: expected ${r.expectedStatus}, got ${r.status ?? r.error ?? 'no answer'} after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`,
  );
  return `preflight failed; no load was sent.\n${lines.join('\n')}\n  Fix the target (is it up? is the path right?) or its "health" list in the config.`;
}
