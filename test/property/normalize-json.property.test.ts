import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeResponse } from '../../harness/contracts/normalize.ts';

/** What normalizeResponse made of a body before it skipped JSON.parse on text that cannot be JSON. */
function parsedAsBefore(text: string): { json: boolean; body: unknown } {
  if (text.trim() === '') return { json: false, body: undefined };
  try {
    return { json: true, body: JSON.parse(text) as unknown };
  } catch {
    return { json: false, body: text.length > 2000 ? `${text.slice(0, 2000)}…` : text };
  }
}

describe('normalizeResponse reads a body as JSON exactly when JSON.parse accepts it', () => {
  it('on random JSON, JSON-ish and text bodies', () => {
    const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n', '\u00a0', '\ufeff');
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.tuple(ws, fc.oneof(fc.json(), fc.constantFrom('data: {"a":1}\n\n', '<html>', 'true', 'nul', '-', '-1', '"x', '[1,', 'NaN', 'Infinity')), ws).map(([a, b, c]) => a + b + c),
    );
    fc.assert(
      fc.property(body, (text) => {
        const o = normalizeResponse({ status: 200, headers: {}, bodyText: text, durationMs: 1 });
        const want = parsedAsBefore(text);
        expect(o.json).toBe(want.json);
        expect(o.body).toEqual(want.body);
      }),
      { numRuns: 3000 },
    );
  });
});
