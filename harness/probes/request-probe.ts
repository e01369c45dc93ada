import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { TimeoutsConfig } from '../config/schema.ts';
import type { StreamSample } from '../metrics/sample.ts';
import { classifyError, errorCode } from './stream-probe.ts';

/** The sample's identity travels with the request, so the probe can fill the sample it returns. */
export type RequestIdentity = Pick<StreamSample, 'target' | 'role' | 'scenario' | 'requestId' | 'iteration' | 'vu'> & { step?: string; route: string };

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A measured request: the sample, and what checks and diffs read of the response. */
export interface RequestResult {
  sample: StreamSample;
  /** Response headers (lower-case names); empty without a response. */
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, when asked for (`keepBody`): captures, checks and contract diffs need it. */
  bodyText: string;
  /** Interrupted from outside (SIGINT): not a measurement. */
  aborted: boolean;
}

/** Largest body kept for checks and diffs; past it the text is cut (the byte count stays exact). */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * One request read as a whole response: time to headers (`headersMs`), time to the last byte
 * (`completionMs`, on `ok` only), status, bytes, and exactly one outcome: `ok` (2xx or 3xx, whole
 * body read), `http_error` (4xx/5xx, body read), `connect_error`, `reset` (the connection broke
 * after connecting), `timeout` (headers or the whole response over its limit). The flow runner
 * turns `ok` into `assertion_failed` / `capture_failed` when its checks say so. Never throws for
 * anything the backend does. The clock starts when the probe is made (a pair makes both first).
 */
export class RequestProbe {
  readonly t0 = performance.now();
  private readonly startedAt = Date.now();

  constructor(
    private readonly id: RequestIdentity,
    private readonly req: HttpRequest,
    private readonly timeouts: TimeoutsConfig,
    private readonly keepBody: boolean,
    private readonly signal?: AbortSignal,
  ) {}

  async run(dispatcher: Dispatcher): Promise<RequestResult> {
    const s: StreamSample = {
      target: this.id.target,
      role: this.id.role,
      scenario: this.id.scenario,
      requestId: this.id.requestId,
      iteration: this.id.iteration,
      vu: this.id.vu,
      promptIndex: 0,
      expectsCitations: false,
      startedAt: this.startedAt,
      outcome: 'ok',
      endMs: 0,
      gapsMs: [],
      events: 0,
      contentChunks: 0,
      contentChars: 0,
      bytes: 0,
      citations: 0,
      ...(this.id.step !== undefined ? { step: this.id.step } : {}),
      route: this.id.route,
    };
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, this.timeouts.total);
    const outer = this.signal;
    const onAbort = () => ac.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    let headers: RequestResult['headers'] = {};
    let bodyText = '';
    let gotHeaders = false;
    try {
      const res = await dispatcher.request({ method: this.req.method as Dispatcher.HttpMethod, path: this.req.path, headers: this.req.headers, body: this.req.body, signal: ac.signal });
      gotHeaders = true;
      s.headersMs = this.now();
      s.status = res.statusCode;
      headers = res.headers;
      const parts: Buffer[] | undefined = this.keepBody || res.statusCode >= 400 ? [] : undefined;
      let kept = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        s.bytes += chunk.length;
        if (parts && kept < MAX_BODY) {
          parts.push(chunk);
          kept += chunk.length;
        }
      }
      if (parts) bodyText = Buffer.concat(parts).toString('utf8');
      s.endMs = this.now();
      if (res.statusCode >= 400) {
        s.outcome = 'http_error';
        s.error = { code: 'PARITY_HTTP_STATUS', message: `HTTP ${res.statusCode}: ${truncate(bodyText)}` };
      } else s.completionMs = s.endMs;
    } catch (err) {
      s.endMs = this.now();
      const e = err as NodeJS.ErrnoException;
      if (timedOut) {
        s.outcome = 'timeout';
        s.error = { code: 'PARITY_TOTAL_TIMEOUT', message: `no complete response within ${this.timeouts.total} ms` };
      } else if (outer?.aborted) {
        clearTimeout(timer);
        return { sample: { ...s, outcome: 'timeout', error: { code: 'PARITY_ABORTED', message: 'run interrupted' } }, headers, bodyText, aborted: true };
      } else {
        const outcome = classifyError(e, gotHeaders);
        s.outcome = outcome === 'connect_error' || outcome === 'timeout' ? outcome : 'reset';
        s.error = { code: errorCode(e), message: e.message };
      }
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
    return { sample: s, headers, bodyText, aborted: false };
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
