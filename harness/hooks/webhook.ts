import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { WebhookHook } from './resolve.ts';

export interface WebhookOutcome {
  httpStatus: number | null;
  attempts: number;
  timedOut: boolean;
  durationMs: number;
  body: string;
  /** A 2xx answer whose body arrived whole: the only outcome that counts as ok. */
  delivered: boolean;
  error?: string;
}

const TAIL = 4000;

/** Worth another attempt: the receiver was unreachable, slow, overloaded or broken. A 4xx is the sender's mistake: not retried. */
const retryable = (status: number | null) => status === null || status >= 500 || status === 429;

/**
 * POSTs the verdict JSON. Each attempt has its own timeout; after a network error, a timeout, a
 * 5xx or a 429 it retries up to `retries` more times, waiting backoff × 2^(k−1) before retry k.
 */
export async function postWebhook(hook: WebhookHook, body: string): Promise<WebhookOutcome> {
  const t0 = performance.now();
  let attempts = 0;
  let status: number | null;
  let text = '';
  let error: string | undefined;
  let timedOut: boolean;
  let bodyBroken: boolean;
  for (;;) {
    attempts++;
    status = null;
    error = undefined;
    timedOut = false;
    bodyBroken = false;
    try {
      const res = await request(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'parity-hook', ...hook.headers },
        body,
        signal: AbortSignal.timeout(hook.timeoutMs),
      });
      status = res.statusCode;
      text = (await res.body.text()).slice(-TAIL * 2); // scrubbed, then cut to TAIL, by the caller
      if (status >= 400) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED';
      const what = timedOut ? `within the ${hook.timeoutMs} ms timeout` : `(${e.code ?? e.name}: ${e.message})`;
      // Headers then silence (or a broken body) is no delivery: the receiver may not have acted. Failed, and retried.
      error = status === null ? (timedOut ? `no answer within the ${hook.timeoutMs} ms timeout` : `${e.code ?? e.name}: ${e.message}`) : `HTTP ${status} headers, then the body did not complete ${what}`;
      bodyBroken = status !== null;
    }
    if (!(retryable(status) || bodyBroken) || attempts > hook.retries) break;
    await sleep(hook.backoffMs * 2 ** (attempts - 1));
  }
  const out: WebhookOutcome = { httpStatus: status, attempts, timedOut, durationMs: Math.round(performance.now() - t0), body: text, delivered: status !== null && status < 300 && status >= 200 && !bodyBroken };
  if (error) out.error = attempts > 1 ? `${error} after ${attempts} attempts` : error;
  return out;
}
