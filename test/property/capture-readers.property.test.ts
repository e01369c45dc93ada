import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParityError } from '../../harness/errors.ts';
import { openCapture } from '../../harness/sources/replay/detect.ts';
import type { CaptureEntry } from '../../harness/sources/replay/capture.ts';
import { unsendable } from '../../harness/sources/replay/sendable.ts';
import { gorText, nginxLines, parityLines, writeHar, type Recorded } from '../helpers/replay.ts';

/**
 * The capture readers over damaged captures (a log cut mid-write, bytes spliced in, odd header
 * names): every entry is a request or a counted bad entry, and every request can be asked whether
 * it is sendable; the reader never throws anything but a coded error, so one bad line cannot take a
 * replay down or, worse, end it early and leave the rest of the capture unjudged.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-capture-prop-'));
const token = fc.constantFrom('x-a', 'content-type', 'cookie', 'authorization', '__proto__', 'constructor', 'toString', 'x-forwarded-for', 'content-encoding');
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', 'gzip', '__proto__', 'a\r\nb', '{"a":1}', '\u00e9', '%zz', '\ud800'));
const recorded: fc.Arbitrary<Recorded> = fc.record({
  t: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
  method: fc.constantFrom('GET', 'POST', 'put', 'DELETE', 'CONNECT', 'GE T', ''),
  path: fc.oneof(fc.constantFrom('/api/x', '/a b', '/q?token=s3cret', '/é', '', '//x', '/%', '/__proto__'), fc.string({ maxLength: 20 }).map((s) => `/${s}`)),
  headers: fc.dictionary(token, text, { maxKeys: 4 }),
  body: fc.option(text, { nil: undefined }),
});
const damage = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\n', '"', '{', '}', '\n🐵🙈🙉\n', '\u0000', '\r\n\r\n', '\\')) }),
);

const WRITERS = {
  parity: (file: string, reqs: Recorded[]) => writeFileSync(file, parityLines(reqs)),
  'access-log': (file: string, reqs: Recorded[]) => writeFileSync(file, nginxLines(reqs)),
  gor: (file: string, reqs: Recorded[]) => writeFileSync(file, gorText(reqs)),
  har: (file: string, reqs: Recorded[]) => writeHar(file, reqs),
};

let n = 0;
describe('capture readers over damaged captures', () => {
  it('every entry is a request or a bad entry; none throws but a coded error; every request can be checked for sendability', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(WRITERS) as (keyof typeof WRITERS)[])), fc.array(recorded, { minLength: 1, maxLength: 5 }), damage, async (format, reqs, d) => {
        const file = path.join(dir, `capture-${n++}`);
        WRITERS[format](file, reqs);
        if (d.kind !== 'none') {
          const { readFileSync } = await import('node:fs');
          const bytes = readFileSync(file);
          const at = Math.floor(d.at * bytes.length);
          writeFileSync(file, d.kind === 'cut' ? bytes.subarray(0, at) : Buffer.concat([bytes.subarray(0, at), Buffer.from(d.text), bytes.subarray(at)]));
        }
        const entries: CaptureEntry[] = [];
        try {
          const capture = await openCapture(file, format);
          for await (const e of capture.entries()) entries.push(e);
        } catch (err) {
          if (err instanceof ParityError) return;
          throw err;
        }
        for (const e of entries) {
          if (!e.ok) {
            expect(e.bad.reason.length).toBeGreaterThan(0);
            continue;
          }
          expect(typeof e.req.method).toBe('string');
          expect(typeof e.req.path).toBe('string');
          const why = unsendable(e.req, { dropHeaders: [], rewrites: [] });
          expect(why === undefined || why.length > 0).toBe(true);
        }
        // Undamaged, every request written is read back: none vanishes without a bad entry.
        if (d.kind === 'none') expect(entries.length).toBe(reqs.length);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('an undamaged capture of sendable requests reads back as written: method, path, every header (odd names too) and body', async () => {
    // Header values as HTTP carries them: no leading or trailing whitespace (a raw request's are trimmed, RFC 9110 §5.5).
    const safe = fc.stringMatching(/^[!-~]([ -~]{0,14}[!-~])?$/);
    const clean: fc.Arbitrary<Recorded> = fc.record({
      t: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      path: fc.stringMatching(/^\/[a-z0-9_/-]{0,12}$/),
      headers: fc.dictionary(fc.constantFrom('x-a', 'x-b', '__proto__', 'constructor', 'tostring', 'hasownproperty'), safe, { maxKeys: 4 }),
      body: fc.option(safe, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('parity', 'gor', 'har' as const), fc.array(clean, { minLength: 1, maxLength: 3 }), async (format, reqs) => {
        const file = path.join(dir, `clean-${n++}`);
        WRITERS[format](file, reqs);
        const capture = await openCapture(file, format);
        const got: Recorded[] = [];
        for await (const e of capture.entries()) {
          if (!e.ok) throw new Error(`bad entry ${e.bad.at}: ${e.bad.reason}`);
          const headers = Object.fromEntries(Object.entries(e.req.headers).filter(([k]) => k !== 'content-length' && k !== 'host'));
          got.push({ t: e.req.t, method: e.req.method, path: e.req.path, headers, body: e.req.body === undefined || e.req.body === '' ? undefined : String(e.req.body) });
        }
        const want = reqs.map((r) => ({ ...r, headers: { ...r.headers }, body: r.body === '' ? undefined : r.body }));
        expect(got.map((g) => [g.method, g.path, JSON.stringify(g.headers), g.body])).toEqual(want.map((w) => [w.method, w.path, JSON.stringify(w.headers), w.body]));
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
