import { rawHeaderValue } from './raw-headers.ts';
import { scrubOwnCredentials } from '../secrets/scrubber.ts';
import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import type { TimeoutsConfig } from '../config/schema.ts';
import { freshSample, tpotOf, type Outcome, type StreamSample } from '../metrics/sample.ts';
import { epochMs } from './clock.ts';
import { Deadline } from './deadlines.ts';
import { onInterrupt } from './interrupts.ts';
import type { EventClassifier } from './stream-profile.ts';
import { Utf8Chunks } from './utf8-chunks.ts';

/** The sample's identity fields travel with the request, so the probe can fill the sample it returns. */
export type StreamRequest = Pick<StreamSample, 'target' | 'role' | 'scenario' | 'requestId' | 'iteration' | 'vu' | 'promptIndex' | 'expectsCitations'> & {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** Also return the streamed content text (contract stream steps); off for load, where it would only cost memory. */
  collectText?: boolean;
};

export type ProbeResult = StreamSample & { aborted?: boolean; text?: string };

interface Stop {
  outcome: Outcome;
  code: string;
  message: string;
}

/** Bytes of a non-2xx body kept for its error message (the message shows the first 200 characters). */
const ERROR_BODY_BYTES = 4096;

/**
 * Sends one request and reads its SSE stream as it arrives, classifying each event with the
 * target's profile. Never throws for anything the backend does: every failure becomes an outcome.
 * `signal` aborts from outside (SIGINT); the result then has `aborted: true` and is not a measurement.
 */
export async function probeStream(
  dispatcher: Dispatcher,
  classify: EventClassifier,
  req: StreamRequest,
  timeouts: TimeoutsConfig,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const probe = new StreamProbe(classify, req, timeouts, signal);
  // Yield once before dispatching, so probes started in one tick are all made before any is sent.
  await undefined;
  return probe.run(dispatcher);
}

/**
 * Chunks are timed when they are read and parsed together at the end of the event loop's turn
 * (setImmediate runs after every socket read polled in the turn): when many streams' chunks come
 * in at once (streams started together send their first events together), each is timed as it
 * is read, not after the parsing, classifying and bookkeeping of the chunks read before it (the
 * clock bench at 20 streams: completion p99 2.9 → 1.4 ms, the reference client's 2.2). The events
 * keep their chunk's arrival time; a stream that ends or fails parses what it read first.
 *
 * Settling a finished probe waits for the end of the turn too: what it sets off (the pair
 * recorded and spooled, summaries, the next request built and sent) never runs ahead of another
 * stream's chunk already waiting to be read.
 *
 * That deferred work runs in **slices**: at most `SLICE_MS` of parsing and `SLICE_SETTLES`
 * settled probes per turn (a settle's own work, the pair's sinks and the next request, runs in the
 * microtasks right after it), the rest in the next turn, after the sockets that became readable in
 * the meantime were read and their chunks timed. A backend that sends many streams' events in one
 * burst (an LLM server's batch emits a token for every stream at each step; the clock bench's
 * server, whose timers fall into step) otherwise had the chunks arriving while the burst's pairs
 * were recorded and their next requests sent wait for all of it. At 200 streams, in alternating
 * runs (8 each, two series): parity's p99 timing error 5.0 / 4.7 ms and 5.7 / 5.9 ms sliced (first
 * content / completion), 6.3 / 7.3 and 7.6 / 9.1 ms unsliced, the reference client's 5.3 / 5.4 and
 * 6.3 / 6.2 (each run against a freshly started server, whose bursts are the largest). Slicing
 * the parsing alone (settles not capped) made no difference that could be seen, nor did the
 * bench's 9-repeat figure move beyond its spread (a warm server; see the README's Benchmarks).
 * Nothing waits more than `MAX_LAG_MS` past its first turn: a saturated client keeps pace, and
 * its memory bounded, as before.
 */
const PARSE_NOW_BYTES = 64 * 1024;
const SLICE_MS = 1;
const SLICE_SETTLES = 16;
const MAX_LAG_MS = 20;
/** Probes with chunks to parse, in the order they were read, each with when it was queued; then settles as (resolve, result, queued) triples. */
const toParse: (StreamProbe | number)[] = [];
let parseHead = 0;
const toSettle: (((r: ProbeResult) => void) | ProbeResult | number)[] = [];
let settleHead = 0;
let drainScheduled = false;
function drainLater(): void {
  if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drain);
  }
}
/** One slice of the deferred work: parsing first (in reading order), then settles. */
function drain(): void {
  drainScheduled = false;
  const start = performance.now();
  const until = start + SLICE_MS;
  const overdue = start - MAX_LAG_MS;
  for (let n = 0; parseHead < toParse.length; n++) {
    if (n > 0 && (toParse[parseHead + 1] as number) > overdue && performance.now() >= until) return drainLater();
    (toParse[parseHead] as StreamProbe).parseQueued();
    parseHead += 2;
  }
  toParse.length = parseHead = 0;
  for (let k = 0; settleHead < toSettle.length; k++) {
    // A settle's own work (the pair's sinks, the next request) runs in the microtasks after this slice.
    if (k >= SLICE_SETTLES && (toSettle[settleHead + 2] as number) > overdue) return drainLater();
    (toSettle[settleHead] as (r: ProbeResult) => void)(toSettle[settleHead + 1] as ProbeResult);
    settleHead += 3;
  }
  toSettle.length = settleHead = 0;
}
/** `now`: performance.now() when the probe's chunk was read (the caller has just read it). */
function parseLater(p: StreamProbe, now: number): void {
  toParse.push(p, now);
  drainLater();
}
function settleLater(settle: (r: ProbeResult) => void, result: ProbeResult, now: number): void {
  toSettle.push(settle, result, now);
  drainLater();
}

/**
 * One stream, driven by undici's dispatch handler callbacks: bytes are timed and parsed in the
 * callback that delivers them (no body stream, no async iteration per chunk). The probe enforces
 * the first-event, idle and total limits itself so it can tell `stalled` from `timeout`.
 *
 * The handler speaks the API undici's core calls (onConnect, onHeaders, onData, onComplete,
 * onError; typed as deprecated in undici 7). A handler written for the newer controller API
 * (onRequestStart, onResponseStart, ...) is wrapped per request in an adapter that also turns the
 * raw response headers into an object, about 0.9 µs per response (2% of a request's client CPU in
 * the throughput benchmark), for headers the probe never reads: it needs the status code only.
 *
 * Its clock starts when its request is handed to the connection: undici calls onConnect right
 * before it serializes and writes the request on the socket (after any TCP connect, or wait for a
 * free connection, which the caller counts as dispatch lag). So each probe of a pair measures from
 * its own request's send, not from when the pair was prepared: serializing the first request no
 * longer counts against the second. `startedAt` is that moment as a fractional epoch time.
 */
export class StreamProbe implements Dispatcher.DispatchHandler {
  /** performance.now() when the request was handed to its connection (until then, when the probe was made): its timings count from here. */
  t0 = performance.now();
  private readonly s: StreamSample;
  private readonly total: Deadline;
  private watchdog: Deadline | undefined;
  /** Aborts the request once it is on a connection (undici's onConnect hands it over). */
  private abort: ((err?: Error) => void) | undefined;
  private stop: Stop | undefined;
  private settle: ((s: ProbeResult) => void) | undefined;
  private settled = false;
  private parser: EventSourceParser | undefined;
  private readonly utf8 = new Utf8Chunks();
  private errorBody: Buffer[] | undefined;
  private errorBodyBytes = 0;
  private readonly textParts: string[] | undefined;
  private terminal = false;
  private errorEvent = false;
  private malformed = false;
  private pendingCR = false;
  private lastEventAt = -1;
  private chunkAt = 0;
  /** Chunks read this turn of the event loop and not parsed yet, with their arrival times. */
  private unparsed: { chunk: Buffer; at: number }[] | undefined;
  private unparsedBytes = 0;
  private lastContentAt = 0;
  /** Token counts the stream sent: a running sum of per-event counts, or its latest total (-1: none). */
  private tokenSum = 0;
  private tokenTotal = -1;
  private finishReason: string | undefined;
  private abnormalFinish = false;

  private readonly request: Dispatcher.DispatchOptions;
  private readonly unwatch: (() => void) | undefined;

  /** `signal` aborts from outside (SIGINT): the result then has `aborted: true` and is not a measurement. */
  constructor(
    private readonly classify: EventClassifier,
    req: StreamRequest,
    private readonly timeouts: TimeoutsConfig,
    signal?: AbortSignal,
  ) {
    this.request = { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body };
    this.s = freshSample(req, epochMs(this.t0), 'complete');
    this.textParts = req.collectText ? [] : undefined;
    this.total = new Deadline(this.onTotal.bind(this));
    this.total.set(timeouts.total);
    this.unwatch = signal ? onInterrupt(signal, this) : undefined;
  }

  /** Sends the request; resolves when the stream has ended, whatever the outcome (never rejects). */
  run(dispatcher: Dispatcher): Promise<ProbeResult> {
    return new Promise((resolve) => {
      this.settle = resolve;
      if (this.stop) this.finish(new Error(this.stop.message));
      else dispatcher.dispatch(this.request, this);
    });
  }

  /** The run was interrupted (SIGINT): stop now; the result is not a measurement. */
  interrupt(): void {
    this.stopWith({ outcome: 'timeout', code: 'PARITY_ABORTED', message: 'run interrupted' });
  }

  onConnect(abort: (err?: Error) => void): void {
    // The clock starts here: the request goes onto the socket next, in this same call from undici.
    this.t0 = performance.now();
    this.s.startedAt = epochMs(this.t0);
    this.abort = abort;
    if (this.stop) abort(new Error(this.stop.message));
  }

  onHeaders(statusCode: number, rawHeaders?: Buffer[] | string[] | null): boolean {
    if (statusCode < 200) return true; // informational (1xx): the response is still to come
    const s = this.s;
    s.headersMs = this.now();
    s.status = statusCode;
    if (statusCode >= 300) {
      this.errorBody = [];
      return true;
    }
    // parity sends no Accept-Encoding: a compressed stream is the backend's doing, and unreadable as SSE. Say so, by name.
    const encoding = rawHeaders ? contentEncoding(rawHeaders) : undefined;
    if (encoding) {
      this.stopWith({
        outcome: 'malformed',
        code: 'PARITY_CONTENT_ENCODING',
        message: `the stream is compressed (content-encoding: ${encoding}) although parity sent no Accept-Encoding; SSE is read as sent: turn ${encoding} off for text/event-stream responses on this backend`,
      });
      return false;
    }
    this.parser = createParser({ onEvent: this.onEvent.bind(this) });
    this.watchdog = new Deadline(this.onWatchdog.bind(this));
    this.watchdog.set(this.timeouts.firstEvent);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (this.errorBody) {
      if (this.errorBodyBytes < ERROR_BODY_BYTES) {
        this.errorBody.push(chunk);
        this.errorBodyBytes += chunk.length;
      }
      return true;
    }
    // Timed now, parsed at the end of this turn of the event loop (see `parseLater`).
    this.s.bytes += chunk.length;
    const now = performance.now();
    if (!this.unparsed) {
      this.unparsed = [];
      parseLater(this, now);
    }
    this.unparsed.push({ chunk, at: this.since(now) });
    // A stream that hands over a lot in one turn (a fast backend, a replayed body) is parsed as it
    // goes: holding it all to the end of the turn only keeps the chunks alive longer.
    if ((this.unparsedBytes += chunk.length) >= PARSE_NOW_BYTES) this.parseQueued();
    return true;
  }

  /** Parses the chunks read this turn, each event timed by the arrival of the chunk that carried it. */
  parseQueued(): void {
    const q = this.unparsed;
    if (!q) return;
    this.unparsed = undefined;
    this.unparsedBytes = 0;
    const s = this.s;
    for (const { chunk, at } of q) {
      if (this.settled) return;
      this.chunkAt = at;
      const before = s.events;
      this.feed(this.utf8.decode(chunk));
      // The first event switches the watchdog from the first-event limit to the idle limit; every event restarts it.
      if (s.events !== before) this.watchdog!.set(this.timeouts.idle);
    }
  }

  onComplete(): void {
    if (this.settled) return;
    this.parseQueued();
    if (this.settled) return;
    const s = this.s;
    if (this.errorBody) {
      s.error = { code: 'PARITY_HTTP_STATUS', message: `HTTP ${s.status}: ${truncate(Utf8Chunks.decodeBody(this.errorBody))}` };
      s.outcome = 'http_error';
    } else if (this.parser) {
      this.chunkAt = this.now();
      this.feed(this.utf8.end());
      if (!this.terminal && !this.errorEvent && !this.malformed) {
        s.outcome = 'no_terminal';
        s.error = { code: 'PARITY_NO_TERMINAL', message: 'the body ended without a terminal event' };
      }
    }
    this.finish();
  }

  onError(err: Error): void {
    this.finish(err);
  }

  private now(): number {
    return this.since(performance.now());
  }

  /** A performance.now() reading as ms from the send. Microseconds are all a timing needs; short numbers also keep samples.ndjson small and cheap to write. */
  private since(now: number): number {
    return Math.round((now - this.t0) * 1000) / 1000;
  }

  private stopWith(stop: Stop): void {
    this.stop ??= stop;
    if (this.settled) return;
    if (this.abort) this.abort(new Error(stop.message));
    // Not yet on a connection: the dispatcher aborts it when it gets one (onConnect).
  }

  private onTotal(): void {
    this.stopWith({ outcome: 'timeout', code: 'PARITY_TOTAL_TIMEOUT', message: `stream exceeded the total limit of ${this.timeouts.total} ms` });
  }

  private onWatchdog(): void {
    // Chunks read before the limit and not parsed yet (parsing waits for the end of the turn, in
    // slices) count: an event that came in time is never a stall.
    if (this.unparsed) {
      const before = this.s.events;
      this.parseQueued();
      // Parsed events re-armed the watchdog (an idle limit from now).
      if (this.settled || this.s.events !== before) return;
    }
    if (this.terminal || this.errorEvent) return this.stopWith({ outcome: 'complete', code: 'PARITY_LINGER', message: 'stream kept open after its last event' });
    const first = this.lastEventAt < 0;
    this.stopWith({
      outcome: 'stalled',
      code: first ? 'PARITY_FIRST_EVENT_TIMEOUT' : 'PARITY_IDLE_TIMEOUT',
      message: first ? `no event within ${this.timeouts.firstEvent} ms of the headers` : `no event for ${this.timeouts.idle} ms`,
    });
  }

  /**
   * eventsource-parser holds a chunk-final CR until the next byte (it may be half of a CRLF),
   * which delays every CR-framed event by a chunk and loses the last one. We complete the CR as
   * CRLF at once and drop the LF if it does arrive: the same line breaks, no delay.
   */
  private feed(text: string): void {
    if (this.pendingCR && text.charCodeAt(0) === 10) text = text.slice(1);
    this.pendingCR = false;
    if (!text) return;
    this.parser!.feed(text);
    if (text.charCodeAt(text.length - 1) === 13) {
      this.pendingCR = true;
      this.parser!.feed('\n');
    }
  }

  private onEvent(ev: EventSourceMessage): void {
    if (this.terminal) return;
    const s = this.s;
    const at = this.chunkAt;
    s.events++;
    if (this.lastEventAt >= 0) s.gapsMs.push(Math.round((at - this.lastEventAt) * 1000) / 1000);
    else s.firstEventMs = at;
    this.lastEventAt = at;
    const c = this.classify(ev);
    if (c.tokens !== undefined) {
      if (c.tokensSum) this.tokenSum += c.tokens;
      else this.tokenTotal = c.tokens;
    }
    if (c.finish !== undefined) {
      this.finishReason = c.finish;
      this.abnormalFinish = c.abnormal === true;
    }
    switch (c.kind) {
      case 'terminal':
        this.terminal = true;
        s.completionMs = at;
        return;
      case 'error':
        if (!this.errorEvent) s.error = { code: 'PARITY_ERROR_EVENT', message: truncate(ev.data) };
        this.errorEvent = true;
        return;
      case 'malformed':
        if (!this.malformed) s.error = { code: 'PARITY_MALFORMED_DATA', message: `event data is not JSON: ${truncate(ev.data)}` };
        this.malformed = true;
        return;
    }
    if (c.citations) s.citations += c.citations;
    if (c.text !== undefined) {
      s.contentChunks++;
      s.contentChars += codePoints(c.text);
      this.textParts?.push(c.text);
      if (s.firstContentMs === undefined) s.firstContentMs = at;
      this.lastContentAt = at;
    }
  }

  /** Output tokens (sent, else estimated from content events), finish reason, ITL and TPOT: once, at the end. */
  private tokens(s: StreamSample): void {
    if (this.tokenTotal >= 0) s.outputTokens = this.tokenTotal;
    else if (this.tokenSum > 0) s.outputTokens = this.tokenSum;
    else {
      s.outputTokens = s.contentChunks;
      s.tokensEstimated = true;
    }
    if (this.finishReason !== undefined) s.finishReason = this.finishReason;
    if (s.contentChunks >= 2) s.itlMs = Math.round(((this.lastContentAt - s.firstContentMs!) / (s.contentChunks - 1)) * 1000) / 1000;
    const tpot = tpotOf(s);
    if (tpot !== undefined) s.tpotMs = tpot;
  }

  /** Ends the probe once: the outcome from what was seen, the stop that ended it, or the error. */
  private finish(err?: Error): void {
    if (this.settled) return;
    // Events that arrived before the end count, whatever ended the stream.
    this.parseQueued();
    if (this.settled) return;
    this.settled = true;
    this.total.cancel();
    this.watchdog?.cancel();
    this.unwatch?.();
    const s = this.s;
    const stop = this.stop;
    if (err && this.errorBody) {
      // A non-2xx response whose body broke off: still an HTTP error, without the body text.
      s.error = { code: 'PARITY_HTTP_STATUS', message: `HTTP ${s.status}: ` };
      s.outcome = 'http_error';
    } else if (err && !(this.terminal || this.errorEvent || this.malformed)) {
      if (stop) {
        s.outcome = stop.outcome;
        s.error = { code: stop.code, message: stop.message };
      } else {
        const e = err as NodeJS.ErrnoException;
        s.outcome = classifyError(e, s.headersMs !== undefined);
        s.error = { code: errorCode(e), message: e.message };
      }
    }
    if (this.errorEvent) s.outcome = 'error_event';
    else if (this.malformed) s.outcome = 'malformed';
    else if (this.terminal) {
      s.outcome = 'complete';
      if (s.error) delete s.error;
      if (this.abnormalFinish) {
        s.outcome = 'truncated';
        s.error = { code: 'PARITY_TRUNCATED', message: `finish reason "${truncate(this.finishReason!)}" is not a normal end` };
      } else if (s.contentChunks === 0) {
        // Ended as a complete answer would, with nothing in it: an empty answer is what the user saw,
        // and counting it complete left it out of every content metric and of the error rate.
        s.outcome = 'empty';
        s.error = { code: 'PARITY_EMPTY_ANSWER', message: 'the stream ended normally (terminal event) with no content event' };
      }
    }
    // An error body or error event may echo a credential this request sent (a replayed or mirrored user's).
    if (s.error) scrubOwnCredentials(s, this.request.headers as Record<string, string>, this.request.path);
    if (this.parser) this.tokens(s);
    const now = performance.now();
    s.endMs = this.since(now);
    const result: ProbeResult = stop?.code === 'PARITY_ABORTED' && !this.terminal ? { ...s, aborted: true } : this.textParts ? { ...s, text: this.textParts.join('') } : s;
    // Settled at the end of this turn of the event loop, after the other sockets' reads polled in
    // it: what the result sets off (a pair recorded and spooled, summaries, the next request built
    // and sent) then never runs ahead of another stream's chunk that is already waiting, which
    // would be timed that much late.
    settleLater(this.settle!, result, now);
  }
}

/** Unicode code points of a string (an emoji is one, not two UTF-16 units), without allocating. */
export function codePoints(t: string): number {
  const n = t.length;
  let pairs = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = t.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return n - pairs;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

export function errorCode(e: NodeJS.ErrnoException): string {
  const cause = e.cause as NodeJS.ErrnoException | undefined;
  return e.code ?? cause?.code ?? e.name ?? 'ERROR';
}

export function classifyError(e: NodeJS.ErrnoException, gotHeaders: boolean): Outcome {
  const code = errorCode(e);
  if (CONNECT_CODES.has(code) || CONNECT_CODES.has((e.cause as NodeJS.ErrnoException | undefined)?.code ?? '')) return 'connect_error';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (!gotHeaders && code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') return 'connect_error';
  return 'reset';
}

/** The response's content-encoding, unless it is absent or identity (raw headers: name, value, name, value, ...). */
function contentEncoding(raw: readonly (Buffer | string)[]): string | undefined {
  const v = rawHeaderValue(raw, 'content-encoding')?.trim().toLowerCase();
  return v && v !== 'identity' ? v.slice(0, 40) : undefined;
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
