import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

/** Response headers that belong to one connection (RFC 9110 §7.6.1): Node frames the client's response itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer']);

/** Live responses whose client went away before the baseline's answer was done (clientClosed). */
const closedByClient = new WeakSet<ServerResponse>();

/**
 * The client closed the connection before the baseline's answer was done: the baseline's response
 * was cut by the user, not by a fault of the baseline, so its pair is no comparison (the copy to
 * the candidate went on).
 */
export function clientClosed(res: ServerResponse): boolean {
  return closedByClient.has(res);
}

/**
 * The inline proxy's handler for the baseline's response: every byte goes to the client as it
 * arrives (status, headers, body; no buffering, no re-framing of the body), and the same calls go
 * to the probe that measures it. The probe may stop reading (its limits, a stream that lingers
 * after its terminal event): that ends the measurement, never the client's response. The client
 * going away aborts the upstream request. Backpressure from the client pauses the baseline.
 */
export class TeeHandler implements Dispatcher.DispatchHandler {
  private resume: (() => void) | undefined;
  private upstreamAbort: ((err?: Error) => void) | undefined;
  private probeDone = false;
  private ended = false;
  /** Body bytes have gone to the client (the headers with them). */
  private bodyStarted = false;

  constructor(
    private readonly probe: Dispatcher.DispatchHandler,
    private readonly res: ServerResponse,
  ) {
    res.once('close', () => {
      if (this.ended) return;
      closedByClient.add(res);
      this.upstreamAbort?.(new Error('the client closed the connection'));
    });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.upstreamAbort = abort;
    // The client went away before the request left: nothing to send the answer to.
    if (closedByClient.has(this.res)) queueMicrotask(() => abort(new Error('the client closed the connection')));
    this.probe.onConnect?.((err?: Error) => {
      if (this.probeDone) return;
      this.probeDone = true;
      // The probe's own stop (a limit): it finishes with that reason; the response goes on for the client.
      queueMicrotask(() => this.probe.onError?.(err ?? new Error('probe stopped')));
    });
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    this.resume = resume;
    if (statusCode >= 200 && !this.res.headersSent) {
      const flat: string[] = [];
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]!.toString('latin1');
        if (HOP_BY_HOP.has(name.toLowerCase())) continue;
        flat.push(name, rawHeaders[i + 1]!.toString('latin1'));
      }
      this.res.writeHead(statusCode, statusText, flat);
      // The headers go out at the end of this tick: with the body's first bytes when they came in
      // the same read (a JSON answer: one write instead of two), on their own when they did not
      // (a stream's headers still reach the client as soon as the baseline sent them).
      queueMicrotask(() => {
        if (!this.bodyStarted && !this.ended && !this.res.destroyed) this.res.flushHeaders();
      });
    }
    if (!this.probeDone) this.probe.onHeaders?.(statusCode, rawHeaders, resume, statusText);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bodyStarted = true;
    const ok = this.res.write(chunk);
    if (!this.probeDone) this.probe.onData?.(chunk);
    // A client gone never drains: pausing for it would hold the baseline's answer (and its probe) until the timeout.
    if (!ok && !this.res.destroyed) {
      this.res.once('drain', () => this.resume?.());
      return false;
    }
    return true;
  }

  onComplete(trailers: string[] | null): void {
    this.ended = true;
    this.res.end();
    if (!this.probeDone) {
      this.probeDone = true;
      this.probe.onComplete?.(trailers);
    }
  }

  onError(err: Error): void {
    this.ended = true;
    // What the client would have seen from the baseline: no answer (502 from the proxy), or a cut connection.
    if (!this.res.headersSent) {
      this.res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      this.res.end(`parity shadow: the baseline did not answer (${(err as NodeJS.ErrnoException).code ?? err.message})\n`);
    } else this.res.destroy();
    if (!this.probeDone) {
      this.probeDone = true;
      this.probe.onError?.(err);
    }
  }
}

/** A dispatcher for one probe's `run`: the request goes to `pool` with `wrap` around the probe's handler. */
export function teeDispatcher(pool: Dispatcher, wrap: (h: Dispatcher.DispatchHandler) => Dispatcher.DispatchHandler): Dispatcher {
  return { dispatch: (opts: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler) => pool.dispatch(opts, wrap(h)) } as unknown as Dispatcher;
}
