import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readConfigFile, resolveConfig, type LoadedConfig } from '../../harness/config/load.ts';
import { ParityError } from '../../harness/errors.ts';
import { formatIssues } from '../../harness/errors.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { mutations, setAt } from '../helpers/mutations.ts';

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
      fc.asyncProperty(mutations(PATHS), async (muts) => {
        const cfg = base();
        for (const m of muts) setAt(cfg, m.path, m.value, m.del);
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
