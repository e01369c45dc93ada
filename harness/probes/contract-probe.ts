import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { RawResponse } from '../contracts/normalize.ts';

export interface ContractRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Largest body kept for the diff; longer bodies are cut (and the cut shows in the diff). */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Sends one JSON request and reads the whole response. Never throws for anything the backend
 * does: a refused connection or a timeout comes back as `status: null` with an error code, which
 * the diff reports like any other difference.
 */
export async function probeContract(dispatcher: Dispatcher, req: ContractRequest, timeoutMs: number, signal?: AbortSignal): Promise<RawResponse> {
  const t0 = performance.now();
  const limit = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, limit]) : limit;
  try {
    const res = await dispatcher.request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.path,
      headers: req.headers,
      body: req.body,
      signal: combined,
    });
    let bodyText = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (bodyText.length < MAX_BODY) bodyText += chunk.toString('utf8');
    }
    return { status: res.statusCode, headers: res.headers, bodyText, durationMs: performance.now() - t0 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = limit.aborted ? 'PARITY_TOTAL_TIMEOUT' : (e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.name ?? 'ERROR');
    const message = limit.aborted ? `no complete response within ${timeoutMs} ms` : e.message;
    return { status: null, headers: {}, bodyText: '', error: { code, message }, durationMs: performance.now() - t0 };
  }
}
