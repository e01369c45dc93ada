import { performance } from 'node:perf_hooks';
import { scrubOwnCredentials } from '../secrets/scrubber.ts';
import type { Dispatcher } from 'undici';
import type { TimeoutsConfig } from '../config/schema.ts';
import { freshSample, type StreamSample } from '../metrics/sample.ts';
import { epochMs } from './clock.ts';
import { Deadline } from './deadlines.ts';
import { joinInterrupt } from './interrupts.ts';
import { isSseAnswer } from './raw-headers.ts';
import { classifyError, errorCode } from './stream-probe.ts';

/** The sample's identity travels with the request, so the probe can fill the sample it returns. */
export type RequestIdentity = Pick<StreamSample, 'target' | 'role' | 'scenario' | 'requestId' | 'iteration' | 'vu'> & { step?: string; route: string };

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A request as sent: a replay's body may be the captured bytes (not UTF-8), sent as they are. */
export type WireRequest = Omit<HttpRequest, 'body'> & { body: string | Buffer | undefined };

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

/** The headers of a result without a response, or whose headers nobody reads: one shared empty object. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

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
export class RequestProbe implements Dispatcher.DispatchHandler {
  /** performance.now() when the request was handed to its connection (until then, when the probe was made): its timings count from here. */
  t0: number;
  private readonly s: StreamSample;
  private readonly total: Deadline;
  private readonly watch: { leave(target: RequestProbe): void } | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private settle: ((r: RequestResult) => void) | undefined;
  private settled = false;
  private stop: 'timeout' | 'aborted' | undefined;
  private rawHeaders: Buffer[] | undefined;
  private parts: Buffer[] | undefined;
  private kept = 0;

  /**
   * Driven by undici's dispatch handler callbacks (as the stream probe is): no body stream and no
   * async iteration per response, and response headers turned into an object only when a check
   * or a diff reads them (`keepBody`).
   */
  constructor(
    id: RequestIdentity,
    private readonly req: WireRequest,
    private readonly timeouts: TimeoutsConfig,
    private readonly keepBody: boolean,
    signal?: AbortSignal,
    /** performance.now() now, when the caller has just read it (both probes of a pair share one moment). */
    now = performance.now(),
  ) {
    this.t0 = now;
    this.s = freshSample(id, epochMs(now), 'ok');
    if (id.step !== undefined) this.s.step = id.step;
    this.s.route = id.route;
    this.total = new Deadline(() => this.halt('timeout'));
    this.total.set(timeouts.total, now);
    this.watch = signal ? joinInterrupt(signal, this) : undefined;
  }

  /** Sends the request; resolves when the whole response is read, whatever the outcome (never rejects). */
  run(dispatcher: Dispatcher): Promise<RequestResult> {
    return new Promise((resolve) => this.send(dispatcher, resolve));
  }

  /**
   * Sends the request and calls `done` once with the result, whatever the outcome (no promise per
   * request: a pair's two probes settle one promise, see request-pair.ts). `done` runs inside
   * undici's handler callback (or at once, when the dispatcher refuses the request): it must not throw.
   */
  send(dispatcher: Dispatcher, done: (r: RequestResult) => void): void {
    this.settle = done;
    if (this.stop) this.finish(new Error(this.stop));
    // The request is already in the shape dispatch takes (method, path, headers, body): no copy per request.
    else dispatcher.dispatch(this.req as Dispatcher.DispatchOptions, this);
  }

  interrupt(): void {
    this.halt('aborted');
  }

  onConnect(abort: (err?: Error) => void): void {
    // As the stream probe's: the clock starts when the request is handed to its connection (a wait
    // for a free connection, or the TCP connect, counts as dispatch lag, not as response time).
    this.t0 = performance.now();
    this.s.startedAt = epochMs(this.t0);
    this.abort = abort;
    if (this.stop) abort(new Error(this.stop));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // informational (1xx): the response is still to come
    this.s.headersMs = this.now();
    this.s.status = statusCode;
    // An SSE stream read whole measures none of what makes it right: marked, from the headers alone,
    // and counted (per scenario by the run, run/read-whole.ts; per route by a shadow window; by a replay).
    if (isSseAnswer(statusCode, rawHeaders)) this.s.streamReadWhole = true;
    if (this.keepBody || statusCode >= 400) {
      this.rawHeaders = rawHeaders;
      this.parts = [];
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.s.bytes += chunk.length;
    if (this.parts && this.kept < MAX_BODY) {
      this.parts.push(chunk);
      this.kept += chunk.length;
    }
    return true;
  }

  onComplete(): void {
    this.finish();
  }

  onError(err: Error): void {
    this.finish(err);
  }

  private halt(why: 'timeout' | 'aborted'): void {
    if (this.settled || this.stop) return;
    this.stop = why;
    // Not yet on a connection: the dispatcher aborts it when it gets one (onConnect).
    this.abort?.(new Error(why));
  }

  private finish(err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.total.cancel();
    this.watch?.leave(this);
    const s = this.s;
    s.endMs = this.now();
    const bodyText = this.parts ? Buffer.concat(this.parts).toString('utf8') : '';
    const headers = this.rawHeaders ? headersOf(this.rawHeaders) : NO_HEADERS;
    if (this.stop === 'aborted') {
      this.settle!({ sample: { ...s, outcome: 'timeout', error: { code: 'PARITY_ABORTED', message: 'run interrupted' } }, headers, bodyText, aborted: true });
      return;
    }
    if (this.stop === 'timeout') {
      s.outcome = 'timeout';
      s.error = { code: 'PARITY_TOTAL_TIMEOUT', message: `no complete response within ${this.timeouts.total} ms` };
    } else if (err) {
      const e = err as NodeJS.ErrnoException;
      const outcome = classifyError(e, s.headersMs !== undefined);
      s.outcome = outcome === 'connect_error' || outcome === 'timeout' ? outcome : 'reset';
      s.error = { code: errorCode(e), message: e.message };
    } else if (s.status !== undefined && s.status >= 400) {
      s.outcome = 'http_error';
      s.error = { code: 'PARITY_HTTP_STATUS', message: `HTTP ${s.status}: ${truncate(bodyText)}` };
    } else s.completionMs = s.endMs;
    // An error body may echo a credential this request sent (a captured token, a replayed user's, in a header or its query).
    if (s.error) scrubOwnCredentials(s, this.req.headers, this.req.path);
    this.settle!({ sample: s, headers, bodyText, aborted: false });
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }
}

/** undici's raw header list as an object (lower-case names; repeated headers joined into an array). */
function headersOf(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toString('latin1').toLowerCase();
    const v = raw[i + 1]!.toString('latin1');
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
