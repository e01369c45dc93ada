import fc from 'fast-check';

/**
 * Random damage for loader property tests (test/property/*-loader.property.test.ts): values that
 * have broken parsers before (wrong types, NaN, huge numbers, CR/LF, env templates, odd URLs,
 * names Object.prototype holds, deep nesting), and a setter at a dotted path.
 */
export const shallowNasty = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 0.5, 1e9, 1e21, Number.MAX_SAFE_INTEGER, -0) },
  { weight: 5, arbitrary: fc.constantFrom('', ' ', 'x y', 'a\r\nb', '\u0000', '${TOKEN}', '${BAD}', '${NOPE}', '${EMPTY:-}', '${URL}', 'Bearer ${TOKEN}', 'POST /x y', 'GET /ok', 'POST /\r\n', '/a b',
    'ftp://h', 'localhost:80', 'http://u:p@127.0.0.1:9', 'http://127.0.0.1:9/?q=1', 'http://[::1', '10s', '0s', '1e9h', 'openai', 'closed', 'constant-arrival-rate', 'ramping-arrival-rate', '__proto__', 'constructor') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/** Arrays nested 500 to 10,000 deep (JSON.stringify cannot write the deepest: see deepText). */
export const deepArray = fc.integer({ min: 1, max: 20 }).map((d) => JSON.parse('['.repeat(d * 500) + ']'.repeat(d * 500)) as unknown);

export const nasty = fc.oneof({ weight: 8, arbitrary: shallowNasty }, { weight: 1, arbitrary: deepArray });

/** For loaders that read a file: a marker JSON.stringify can write, made deep by deepText. */
export const nastyText = fc.oneof({ weight: 8, arbitrary: shallowNasty }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((d) => `@@DEEP${d}@@`) });
export const deepText = (json: string): string => json.replace(/"@@DEEP(\d+)@@"/g, (_, d: string) => '['.repeat(Number(d) * 500) + ']'.repeat(Number(d) * 500));

/** Mutations: a path from `paths`, a value, and whether to delete instead (3 in 10), all drawn by fast-check so that a failing seed replays. */
export const mutations = (paths: readonly string[], values: fc.Arbitrary<unknown> = nasty) =>
  fc.array(fc.tuple(fc.constantFrom(...paths), values, fc.integer({ min: 0, max: 9 })).map(([p, v, roll]) => ({ path: p, value: v, del: roll < 3 })), { minLength: 1, maxLength: 4 });

export function setAt(obj: Record<string, unknown>, p: string, value: unknown, del: boolean): void {
  const keys = p.split('.');
  let cur: unknown = obj;
  for (const k of keys.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[k];
  }
  if (cur === null || typeof cur !== 'object') return;
  const last = keys.at(-1)!;
  if (del) delete (cur as Record<string, unknown>)[last];
  else (cur as Record<string, unknown>)[last] = value;
}
