import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readConfigFile, resolveConfig, type LoadedConfig } from '../../harness/config/load.ts';
import { ParityError } from '../../harness/errors.ts';
import { formatIssues } from '../../harness/errors.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * The config loader over random input: every outcome is a valid config or a coded ParityError
 * (exit 3) whose message names the file; never a TypeError or RangeError (a stack trace for the
 * user), never a hang. And a config it accepts is one that can be sent.
 */

const ws = tempWorkspace([{ text: 'hello' }]);
type Cfg = Record<string, unknown> & { targets: Record<string, unknown>[]; scenarios: Record<string, unknown>[] };
const base = () => {
  const c = streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9/api', promptsFile: ws.promptsFile }) as unknown as Cfg;
  // Every field that reaches traffic is present, so a mutation can land in it.
  c.targets[0]!.headers = { 'x-a': '1' };
  c.targets[1]!.headers = { authorization: 'Bearer ${TOKEN}' };
  c.targets[1]!.routes = { chat: { method: 'POST', path: '/chat' } };
  c.targets[0]!.health = ['/health'];
  c.scenarios[0]!.headers = { 'x-b': '2' };
  return c;
};
const ENV = { TOKEN: 'tok-123456', BAD: 'a\r\nb', EMPTY: '', URL: 'http://127.0.0.1:9' };

/** Where a mutation lands: the fields that reach traffic, and some structure around them. */
const PATHS = [
  'name', 'targets', 'targets.0', 'targets.0.baseUrl', 'targets.1.baseUrl', 'targets.0.headers', 'targets.0.headers.x-a', 'targets.1.headers.authorization',
  'targets.0.routes', 'targets.0.routes.chat', 'targets.1.routes.chat.path', 'targets.0.stream', 'targets.0.health', 'targets.0.connections', 'targets.0.role', 'targets.0.name',
  'scenarios', 'scenarios.0', 'scenarios.0.route', 'scenarios.0.prompts', 'scenarios.0.headers', 'scenarios.0.headers.x-b', 'scenarios.0.body',
  'load', 'load.vus', 'load.iterations', 'load.duration', 'load.model', 'load.rate', 'load.stages', 'load.timeouts', 'load.timeouts.total', 'load.timeouts.idle', 'load.warmup',
  'preflight', 'preflight.retries', 'preflight.timeout', 'requestIdHeader', 'outDir', 'contracts',
];

/** Values that have broken parsers before: wrong types, NaN, huge numbers, CR/LF, env templates, odd URLs, deep nesting. */
const nasty = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 0.5, 1e9, 1e21, Number.MAX_SAFE_INTEGER, -0) },
  { weight: 5, arbitrary: fc.constantFrom('', ' ', 'x y', 'a\r\nb', '\u0000', '${TOKEN}', '${BAD}', '${NOPE}', '${EMPTY:-}', '${URL}', 'Bearer ${TOKEN}', 'POST /x y', 'GET /ok', 'POST /\r\n', '/a b',
    'ftp://h', 'localhost:80', 'http://u:p@127.0.0.1:9', 'http://127.0.0.1:9/?q=1', 'http://[::1', '10s', '0s', '1e9h', 'openai', 'closed', 'constant-arrival-rate', 'ramping-arrival-rate', '__proto__', 'constructor') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }).map((d) => JSON.parse('['.repeat(d * 500) + ']'.repeat(d * 500)) as unknown) },
);

function setAt(obj: Record<string, unknown>, p: string, value: unknown, del: boolean): void {
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

async function outcome(raw: unknown): Promise<{ ok: LoadedConfig } | { err: unknown }> {
  // A hang is a failure too: the loader must answer well within this.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('HANG: resolveConfig did not answer within 10 s')), 10_000)));
  try {
    return { ok: await Promise.race([resolveConfig(raw, 'random.json', ENV), late]) };
  } catch (err) {
    return { err };
  } finally {
    clearTimeout(timer);
  }
}

function expectCoded(err: unknown, file = 'random.json'): void {
  if (!(err instanceof ParityError)) throw new Error(`not a coded error: ${(err as Error)?.stack ?? String(err)}`);
  expect(err.exitCode).toBe(3);
  expect(err.message).toContain(file);
  expect(err.message.length).toBeLessThan(200_000);
}

// eslint-disable-next-line no-control-regex -- what a sendable header must not hold
const UNSENDABLE = /[\u0000-\u0008\u000A-\u001F\u007F]/;

describe('config loader properties', () => {
  it('random mutations of a valid config: a valid, sendable config or a coded error, never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...PATHS), nasty, fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 4 }), async (muts) => {
        const cfg = base();
        // A deletion in 3 of 10 mutations, drawn by fast-check so that a failing seed replays the same run.
        for (const [p, v, roll] of muts) setAt(cfg, p, v, roll < 3);
        const r = await outcome(cfg);
        if ('err' in r) return expectCoded(r.err);
        const { baseline, candidate, config } = r.ok;
        for (const t of [baseline, candidate]) {
          expect(['http:', 'https:']).toContain(new URL(t.baseUrl).protocol);
          for (const [k, v] of Object.entries(t.headers)) {
            expect(k).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
            expect(v).not.toMatch(UNSENDABLE);
          }
          for (const route of Object.values(t.routes)) expect(route.path).toMatch(/^\/[\x21-\xff]*$/);
        }
        if (config.load) for (const v of Object.values(config.load.timeouts)) expect(v).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('any value at all as a config: a coded error (or, by chance, a valid config), never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 4, withNullPrototype: true, withMap: true, withSet: true, withBigInt: true, withDate: true }), async (raw) => {
        const r = await outcome(raw);
        if ('err' in r) expectCoded(r.err);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('any text in a .json or .yaml file: a coded error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('.json', '.yaml'), fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.constantFrom('{', '[', '- - -\n  :', 'a: *x', '"\\ud800"', 'targets: [{}]', '!!binary x', '%YAML 9.9\n---\n')), async (ext, text) => {
        const file = path.join(ws.dir, `random${ext}`);
        writeFileSync(file, text);
        try {
          const raw = await readConfigFile(file);
          await resolveConfig(raw, 'random.json', ENV);
        } catch (err) {
          expectCoded(err, path.basename(file) === 'random.json' ? 'random.json' : 'random');
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('issue lists of any size format without echoing huge input', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ path: fc.string({ maxLength: 3000 }), message: fc.string({ maxLength: 3000 }) }), { maxLength: 5 }), (issues) => {
        const text = formatIssues('f.json', issues);
        for (const line of text.split('\n')) expect(line.length).toBeLessThan(1100);
      }),
    );
  });
});
