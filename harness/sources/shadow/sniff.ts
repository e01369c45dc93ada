import { rawHeaderValue } from '../../probes/raw-headers.ts';
import type { Dispatcher } from 'undici';

/** Whether raw response headers say `content-type: text/event-stream`. */
export function isEventStream(rawHeaders: readonly (Buffer | string)[] | null | undefined): boolean {
  return rawHeaderValue(rawHeaders, 'content-type')?.toLowerCase().includes('text/event-stream') ?? false;
}

/**
 * Around the request probe of a route compared as `auto`: tells `onStream` when a 2xx response is
 * an SSE stream after all (the request did not accept text/event-stream, and no stream scenario
 * uses the route). A whole-response read of a stream measures none of what makes a stream right —
 * first content, interruptions, the terminal event: a candidate cutting every stream short reads
 * `ok` — so the window says so and cannot pass. Every call goes on to the probe unchanged.
 */
export class SseSniffer implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly onStream: () => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.inner.onConnect?.(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200 && statusCode < 300 && isEventStream(rawHeaders)) this.onStream();
    return this.inner.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    return this.inner.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.inner.onComplete?.(trailers);
  }

  onError(err: Error): void {
    this.inner.onError?.(err);
  }
}
