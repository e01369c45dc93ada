import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Dispatcher } from 'undici';
import { probeStream, StreamProbe, type StreamRequest } from '../../harness/probes/stream-probe.ts';
import type { EventClassifier } from '../../harness/probes/stream-profile.ts';
import { Timeouts } from '../../harness/config/schema.ts';

/**
 * The probe's deferred work (parsing the chunks read in a turn, settling finished probes) runs in
 * slices of about a millisecond, so a burst of many streams' events does not hold the event loop
 * for all of its parsing: what becomes ready meanwhile is read (and timed) between slices.
 */
const timeouts = Timeouts.parse({ firstEvent: '10s', idle: '10s', total: '30s' });
const req = (i: number): StreamRequest => ({ target: 't', role: 'baseline', scenario: 's', requestId: `r${i}`, iteration: i, vu: i, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: '{}' });
const rawHeaders = [Buffer.from('content-type'), Buffer.from('text/event-stream')];

/** A dispatcher that keeps each request's handler, so the test delivers every stream's bytes when it wants (as undici's core calls a handler). */
function heldDispatcher() {
  const handlers: Dispatcher.DispatchHandler[] = [];
  const dispatcher = {
    dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      // Aborting fails the request, as undici's abort does.
      handler.onConnect?.((err?: Error) => handler.onError?.(err ?? new Error('aborted')));
      handler.onHeaders?.(200, rawHeaders, () => undefined, 'OK');
      handlers.push(handler);
      return true;
    },
  } as unknown as Dispatcher;
  return { dispatcher, handlers };
}

/** A classifier that costs `us` of CPU per event (the classifying work of a heavier profile), counting what it saw. */
function slowClassifier(us: number) {
  const seen = { events: 0 };
  const classify: EventClassifier = (ev) => {
    const until = performance.now() + us / 1000;
    while (performance.now() < until);
    seen.events++;
    return ev.data === '[DONE]' ? { kind: 'terminal' } : { kind: 'content', text: ev.data };
  };
  return { classify, seen };
}

const turn = () => new Promise<void>((r) => setTimeout(r, 0));

describe('stream probe: deferred work in slices', () => {
  it('a burst of 400 streams’ events is parsed in slices, the loop free between them; every event counted, timed when read', async () => {
    const N = 400;
    const { dispatcher, handlers } = heldDispatcher();
    const { classify, seen } = slowClassifier(50); // 400 × 50 µs: 20 ms of parsing for one burst
    const results = Array.from({ length: N }, (_, i) => probeStream(dispatcher, classify, req(i), timeouts));
    await turn();
    expect(handlers).toHaveLength(N);

    // One burst: every stream's first event read in the same turn.
    const readAt = performance.now();
    for (const h of handlers) h.onData?.(Buffer.from('data: hello\n\n'));
    const readEnd = performance.now();
    // The next turn of the loop comes after the first slice, not after the whole burst's parsing.
    do await turn();
    while (seen.events === 0);
    expect(seen.events).toBeLessThan(N);

    // A second burst read between slices is timed when it is read, whatever parsing is still to do.
    const secondAt = performance.now();
    for (const h of handlers) h.onData?.(Buffer.from('data: world\n\n'));
    const secondEnd = performance.now();
    for (const h of handlers) h.onData?.(Buffer.from('data: [DONE]\n\n'));
    const doneReadAt = performance.now();
    for (const h of handlers) h.onComplete?.(null);
    const out = await Promise.all(results);

    expect(seen.events).toBe(3 * N);
    for (const s of out) {
      expect(s.outcome).toBe('complete');
      expect(s.events).toBe(3);
      expect(s.contentChunks).toBe(2);
      // Each event carries its chunk's read time (the probe's clock counts from its own send, before readAt).
      expect(s.startedAt + s.firstEventMs!).toBeLessThanOrEqual(performance.timeOrigin + readAt + 25);
      expect(s.gapsMs[0]).toBeGreaterThanOrEqual(secondAt - readEnd - 0.01);
      expect(s.gapsMs[0]).toBeLessThanOrEqual(secondEnd - readAt + 0.01);
      expect(s.startedAt + s.completionMs!).toBeLessThanOrEqual(performance.timeOrigin + doneReadAt + 0.01);
    }
  });

  it('work waits at most about 20 ms past its turn: a slow burst is still worked through', async () => {
    const N = 800;
    const { dispatcher, handlers } = heldDispatcher();
    const { classify, seen } = slowClassifier(100); // 1,600 events × 100 µs: 160 ms of parsing, eight times the bound
    const results = Array.from({ length: N }, (_, i) => probeStream(dispatcher, classify, req(i), timeouts));
    await turn();
    for (const h of handlers) h.onData?.(Buffer.from('data: a\n\ndata: [DONE]\n\n'));
    const t0 = performance.now();
    // Turns go on while it is parsed (slices of 1–2 ms: ~100 turns without a bound); once ~20 ms have passed, the rest is overdue and worked through at once.
    let turns = 0;
    while (seen.events < 2 * N) {
      await turn();
      turns++;
    }
    const took = performance.now() - t0;
    expect(turns).toBeGreaterThan(1);
    expect(turns).toBeLessThan(50);
    expect(took).toBeLessThan(160 + 30 + 300); // the parsing itself, the bound, and a busy machine's slack
    for (const h of handlers) h.onComplete?.(null);
    const out = await Promise.all(results);
    expect(out.every((s) => s.outcome === 'complete' && s.contentChunks === 1)).toBe(true);
  });

  it('finished probes are settled 16 per turn, in the order they finished; every one settles', async () => {
    const N = 100;
    const { dispatcher, handlers } = heldDispatcher();
    const { classify } = slowClassifier(0);
    const settled: number[] = [];
    // Each settle sets off 0.2 ms of work (in the load: the pair recorded, the next request built and sent).
    const work = <T extends { iteration: number }>(s: T): T => {
      const until = performance.now() + 0.2;
      while (performance.now() < until);
      settled.push(s.iteration);
      return s;
    };
    const results = Array.from({ length: N }, (_, i) => probeStream(dispatcher, classify, req(i), timeouts).then(work));
    await turn();
    // They finish in reverse order of sending, all in one turn.
    for (const h of [...handlers].reverse()) {
      h.onData?.(Buffer.from('data: x\n\ndata: [DONE]\n\n'));
      h.onComplete?.(null);
    }
    do await turn();
    while (settled.length === 0);
    // 16 settles and their work in the first slice (3.2 ms), then the loop's next turn (its timers, its reads), then the next 16.
    expect(settled.length).toBe(16);
    const out = await Promise.all(results);
    expect(out.every((s) => s.outcome === 'complete')).toBe(true);
    expect(settled).toEqual(Array.from({ length: N }, (_, i) => N - 1 - i));
  });

  it('a chunk read before the idle limit fires, and not parsed yet, is an event in time, not a stall', async () => {
    const { dispatcher, handlers } = heldDispatcher();
    const { classify } = slowClassifier(0);
    const probe = new StreamProbe(classify, req(0), Timeouts.parse({ firstEvent: '10s', idle: '10s', total: '30s' }));
    const result = probe.run(dispatcher);
    await turn();
    handlers[0]!.onData?.(Buffer.from('data: a\n\n'));
    await turn();
    // The next chunk is read; the idle limit fires before the end of the turn parses it (as when a burst's parsing runs in slices).
    handlers[0]!.onData?.(Buffer.from('data: b\n\n'));
    (probe as unknown as { onWatchdog(): void }).onWatchdog();
    handlers[0]!.onData?.(Buffer.from('data: [DONE]\n\n'));
    handlers[0]!.onComplete?.(null);
    const s = await result;
    expect(s.outcome).toBe('complete');
    expect(s.events).toBe(3);
  });
});
