import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { probeStream, type StreamRequest } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';

/**
 * Properties of the stream probe over random framings: whatever the preset, line endings
 * (LF, CRLF, CR), comments, id/retry fields, multi-byte characters and byte-level chunking (UTF-8
 * split anywhere), a well-formed stream measures exactly what it carried; a compressed one
 * (gzip, deflate, br) is classified by its encoding.
 */

type Framing = keyof typeof STREAM_PRESETS;
type Ev = { kind: 'token'; text: string } | { kind: 'citations'; n: number } | { kind: 'comment' } | { kind: 'id' };

const json = JSON.stringify;
function eventLines(framing: Framing, ev: Ev): string[] {
  switch (ev.kind) {
    case 'comment':
      return [': keep-alive'];
    case 'id':
      return ['retry: 1000', 'id: 42'];
    case 'token':
      if (framing === 'openai') return [`data: ${json({ choices: [{ delta: { content: ev.text } }] })}`];
      if (framing === 'named-events') return ['event: token', `data: ${json({ text: ev.text })}`];
      return [`data: ${json({ type: 'token', content: ev.text })}`];
    case 'citations': {
      const c = Array.from({ length: ev.n }, (_, i) => ({ id: `doc-${i}` }));
      if (framing === 'openai') return [`data: ${json({ choices: [{ delta: {} }], citations: c })}`];
      if (framing === 'named-events') return ['event: citations', `data: ${json({ citations: c })}`];
      return [`data: ${json({ type: 'citations', citations: c })}`];
    }
  }
}
const terminal = (f: Framing) => (f === 'openai' ? ['data: [DONE]'] : f === 'named-events' ? ['event: done', 'data: {}'] : [`data: ${json({ type: 'done' })}`]);

/** Replays bytes through the handler API undici's core calls, one onData per chunk, as a socket would. */
function replay(chunks: Buffer[], encoding?: string): Dispatcher {
  const headers = [Buffer.from('content-type'), Buffer.from('text/event-stream'), ...(encoding ? [Buffer.from('Content-Encoding'), Buffer.from(encoding)] : [])];
  return {
    dispatch(_opts: unknown, handler: { onConnect(a: (e?: Error) => void): void; onHeaders(s: number, h: Buffer[], r: () => void, t: string): boolean; onData(b: Buffer): boolean; onComplete(t: null): void; onError(e: Error): void }) {
      setImmediate(() => {
        // As undici does: an abort ends the response with onError, and nothing more is delivered.
        let aborted = false;
        handler.onConnect((e) => {
          if (aborted) return;
          aborted = true;
          handler.onError(e ?? new Error('aborted'));
        });
        handler.onHeaders(200, headers, () => undefined, 'OK');
        for (const c of chunks) if (!aborted) handler.onData(c);
        if (!aborted) handler.onComplete(null);
      });
      return true;
    },
  } as unknown as Dispatcher;
}

const req: StreamRequest = { target: 't', role: 'candidate', scenario: 's', requestId: 'r', iteration: 0, vu: 1, promptIndex: 0, expectsCitations: true, method: 'POST', path: '/', headers: {}, body: '{}' };
const timeouts = Timeouts.parse({ firstEvent: '5s', idle: '5s', total: '10s' });
const classifiers = Object.fromEntries((Object.keys(STREAM_PRESETS) as Framing[]).map((f) => [f, compileProfile(StreamProfile.parse(STREAM_PRESETS[f]))]));

/** Characters that stress JSON escaping and UTF-8: 1 to 4 bytes, combining marks, quotes, backslashes, newlines. */
const char = fc.constantFrom('a', 'Z', ' ', 'é', 'ß', '中', '文', '😀', '👍🏽', '\u0301', '"', '\\', '\n', '\r', '\t', 'data:', ':');
const text = fc.array(char, { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
const ev: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 5, arbitrary: text.map((t): Ev => ({ kind: 'token', text: t })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((n): Ev => ({ kind: 'citations', n })) },
  { weight: 1, arbitrary: fc.constant<Ev>({ kind: 'comment' }) },
  { weight: 1, arbitrary: fc.constant<Ev>({ kind: 'id' }) },
);

describe('stream probe properties', () => {
  it('any framing, line ending, comment placement, byte chunking and content-encoding: measured exactly, or classified by its encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Framing>('openai', 'named-events', 'typed-json'),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(ev, { minLength: 0, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom(undefined, undefined, undefined, 'identity', 'gzip', 'deflate', 'br'),
        async (framing, eol, events, cuts, encoding) => {
          const blocks = [...events.map((e) => eventLines(framing, e)), terminal(framing)];
          const plain = Buffer.from(blocks.map((lines) => lines.join(eol) + eol + eol).join(''), 'utf8');
          const compress = encoding && encoding !== 'identity' ? { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding as 'gzip' | 'deflate' | 'br'] : undefined;
          const bytes = compress ? compress(plain) : plain;
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let at = 0;
          for (const p of [...points, bytes.length]) {
            if (p > at) chunks.push(bytes.subarray(at, p));
            at = Math.max(at, p);
          }
          const s = await probeStream(replay(chunks, encoding), classifiers[framing]!, req, timeouts);
          if (compress) {
            // parity sends no Accept-Encoding and does not decode: named, never mistaken for a stream without a terminal.
            expect(s.outcome).toBe('malformed');
            expect(s.error).toEqual({ code: 'PARITY_CONTENT_ENCODING', message: expect.stringContaining(`content-encoding: ${encoding}`) });
            return;
          }
          const tokens = events.filter((e): e is Extract<Ev, { kind: 'token' }> => e.kind === 'token');
          // A stream with no content event ends as an empty answer (an interruption kind), with its code.
          expect(s.outcome).toBe(tokens.length === 0 ? 'empty' : 'complete');
          if (tokens.length === 0) expect(s.error?.code).toBe('PARITY_EMPTY_ANSWER');
          else expect(s.error).toBeUndefined();
          // Comments and field-only blocks (id/retry without data) dispatch no event.
          expect(s.events).toBe(events.filter((e) => e.kind === 'token' || e.kind === 'citations').length + 1);
          expect(s.contentChunks).toBe(tokens.length);
          // Characters are Unicode code points (an emoji is one), not UTF-16 units.
          expect(s.contentChars).toBe(tokens.reduce((a, t) => a + [...t.text].length, 0));
          expect(s.citations).toBe(events.reduce((a, e) => a + (e.kind === 'citations' ? e.n : 0), 0));
          expect(s.bytes).toBe(plain.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a stream cut anywhere before its terminal event is never complete', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Framing>('openai', 'named-events', 'typed-json'),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(ev, { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (framing, eol, events, where) => {
          const body = events.map((e) => eventLines(framing, e).join(eol) + eol + eol).join('');
          const term = terminal(framing).join(eol);
          // Cut inside the terminal event (before its dispatching blank line), at any byte.
          const full = Buffer.from(body + term, 'utf8');
          const cut = Buffer.from(body, 'utf8').length + Math.floor(where * (full.length - Buffer.from(body, 'utf8').length));
          const s = await probeStream(replay([full.subarray(0, cut)]), classifiers[framing]!, req, timeouts);
          expect(s.outcome).not.toBe('complete');
        },
      ),
      { numRuns: 200 },
    );
  });
});
