import { isSseAnswer } from '../../probes/raw-headers.ts';
import type { Dispatcher } from 'undici';

export { isEventStream } from '../../probes/raw-headers.ts';

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
    if (isSseAnswer(statusCode, rawHeaders)) this.onStream();
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
