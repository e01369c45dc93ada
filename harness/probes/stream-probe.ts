import { performance } from 'node:perf_hooks';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import type { TimeoutsConfig } from '../config/schema.ts';
import type { Outcome, StreamSample } from '../metrics/sample.ts';
import type { EventClassifier } from './stream-profile.ts';

/** The sample's identity fields travel with the request, so the probe can fill the sample it returns. */
export type StreamRequest = Pick<StreamSample, 'target' | 'role' | 'scenario' | 'requestId' | 'iteration' | 'vu' | 'promptIndex' | 'expectsCitations'> & {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Also return the streamed content text (contract stream steps); off for load, where it would only cost memory. */
  collectText?: boolean;
};

interface Stop {
  outcome: Outcome;
  code: string;
  message: string;
}

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
): Promise<StreamSample & { aborted?: boolean; text?: string }> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const ac = new AbortController();
  let stop: Stop | undefined;
  const stopWith = (s: Stop) => {
    if (!stop) stop = s;
    ac.abort();
  };
  const onOuterAbort = () => stopWith({ outcome: 'timeout', code: 'PARITY_ABORTED', message: 'run interrupted' });
  if (signal?.aborted) onOuterAbort();
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const total = setTimeout(
    () => stopWith({ outcome: 'timeout', code: 'PARITY_TOTAL_TIMEOUT', message: `stream exceeded the total limit of ${timeouts.total} ms` }),
    timeouts.total,
  );

  const s: StreamSample = {
    target: req.target,
    role: req.role,
    scenario: req.scenario,
    requestId: req.requestId,
    iteration: req.iteration,
    vu: req.vu,
    promptIndex: req.promptIndex,
    expectsCitations: req.expectsCitations,
    startedAt,
    outcome: 'complete',
    endMs: 0,
    gapsMs: [],
    events: 0,
    contentChunks: 0,
    contentChars: 0,
    bytes: 0,
    citations: 0,
  };
  let terminal = false;
  let errorEvent = false;
  let malformed = false;
  let lastEventAt = -1;
  let chunkAt = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const textParts: string[] | undefined = req.collectText ? [] : undefined;

  const onEvent = (ev: EventSourceMessage) => {
    if (terminal) return;
    s.events++;
    if (lastEventAt >= 0) s.gapsMs.push(chunkAt - lastEventAt);
    else s.firstEventMs = chunkAt;
    lastEventAt = chunkAt;
    const c = classify(ev);
    switch (c.kind) {
      case 'terminal':
        terminal = true;
        s.completionMs = chunkAt;
        return;
      case 'error':
        if (!errorEvent) s.error = { code: 'PARITY_ERROR_EVENT', message: truncate(ev.data) };
        errorEvent = true;
        return;
      case 'malformed':
        if (!malformed) s.error = { code: 'PARITY_MALFORMED_DATA', message: `event data is not JSON: ${truncate(ev.data)}` };
        malformed = true;
        return;
    }
    if (c.citations) s.citations += c.citations;
    if (c.text !== undefined) {
      s.contentChunks++;
      s.contentChars += c.text.length;
      textParts?.push(c.text);
      if (s.firstContentMs === undefined) s.firstContentMs = chunkAt;
    }
  };

  try {
    // Yield once before dispatching: when a pair's two probes are started in one tick, both take
    // their start time before either spends time sending, so the pair shares one moment.
    await undefined;
    const res = await dispatcher.request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.path,
      headers: req.headers,
      body: req.body,
      signal: ac.signal,
    });
    s.headersMs = now();
    s.status = res.statusCode;
    if (res.statusCode < 200 || res.statusCode >= 300) {
      s.error = { code: 'PARITY_HTTP_STATUS', message: `HTTP ${res.statusCode}: ${truncate(await res.body.text().catch(() => ''))}` };
      s.outcome = 'http_error';
    } else {
      const parser = createParser({ onEvent });
      const decoder = new TextDecoder();
      // eventsource-parser holds a chunk-final CR until the next byte (it may be half of a CRLF),
      // which delays every CR-framed event by a chunk and loses the last one. We complete the CR as
      // CRLF at once and drop the LF if it does arrive: the same line breaks, no delay.
      let pendingCR = false;
      const feed = (text: string) => {
        if (pendingCR && text.charCodeAt(0) === 10) text = text.slice(1);
        pendingCR = false;
        if (!text) return;
        parser.feed(text);
        if (text.charCodeAt(text.length - 1) === 13) {
          pendingCR = true;
          parser.feed('\n');
        }
      };
      const onWatchdog = () => {
        if (terminal || errorEvent) return stopWith({ outcome: 'complete', code: 'PARITY_LINGER', message: 'stream kept open after its last event' });
        const first = lastEventAt < 0;
        stopWith({
          outcome: 'stalled',
          code: first ? 'PARITY_FIRST_EVENT_TIMEOUT' : 'PARITY_IDLE_TIMEOUT',
          message: first ? `no event within ${timeouts.firstEvent} ms of the headers` : `no event for ${timeouts.idle} ms`,
        });
      };
      watchdog = setTimeout(onWatchdog, timeouts.firstEvent);
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunkAt = now();
        s.bytes += chunk.length;
        const before = s.events;
        feed(decoder.decode(chunk, { stream: true }));
        if (s.events !== before) {
          if (before === 0) {
            clearTimeout(watchdog);
            watchdog = setTimeout(onWatchdog, timeouts.idle);
          } else watchdog.refresh();
        }
      }
      chunkAt = now();
      feed(decoder.decode());
      if (!terminal && !errorEvent && !malformed) {
        s.outcome = 'no_terminal';
        s.error = { code: 'PARITY_NO_TERMINAL', message: 'the body ended without a terminal event' };
      }
    }
  } catch (err) {
    if (!(terminal || errorEvent || malformed)) {
      const e = err as NodeJS.ErrnoException;
      if (stop) {
        s.outcome = stop.outcome;
        s.error = { code: stop.code, message: stop.message };
      } else {
        s.outcome = classifyError(e, s.headersMs !== undefined);
        s.error = { code: errorCode(e), message: e.message };
      }
    }
  } finally {
    clearTimeout(total);
    clearTimeout(watchdog);
    signal?.removeEventListener('abort', onOuterAbort);
  }
  if (errorEvent) s.outcome = 'error_event';
  else if (malformed) s.outcome = 'malformed';
  else if (terminal) {
    s.outcome = 'complete';
    delete s.error;
  }
  s.endMs = now();
  if (stop?.code === 'PARITY_ABORTED' && !terminal) return { ...s, aborted: true };
  return textParts ? { ...s, text: textParts.join('') } : s;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

function errorCode(e: NodeJS.ErrnoException): string {
  const cause = e.cause as NodeJS.ErrnoException | undefined;
  return e.code ?? cause?.code ?? e.name ?? 'ERROR';
}

function classifyError(e: NodeJS.ErrnoException, gotHeaders: boolean): Outcome {
  const code = errorCode(e);
  if (CONNECT_CODES.has(code) || CONNECT_CODES.has((e.cause as NodeJS.ErrnoException | undefined)?.code ?? '')) return 'connect_error';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  if (!gotHeaders && code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') return 'connect_error';
  return 'reset';
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
