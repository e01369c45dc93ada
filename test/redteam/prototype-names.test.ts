import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { diffJson } from '../../harness/contracts/diff.ts';
import { compileRules } from '../../harness/contracts/rules.ts';
import { parseFormats } from '../../harness/commands/report.ts';
import { compileJsonPath } from '../../harness/json/path.ts';
import { mapStrings } from '../../harness/json/map-strings.ts';
import { UsageError } from '../../harness/errors.ts';
import { loadCommand } from '../../harness/cli.ts';
import { unsendable } from '../../harness/sources/replay/sendable.ts';
import { openCapture } from '../../harness/sources/replay/detect.ts';
import { runCli } from '../helpers/cli.ts';
import { gorText, parityLines } from '../helpers/replay.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * Names every JavaScript object answers to (`__proto__`, `constructor`, `toString`) are names like
 * any other in a config, a response body or a flag: `name in map` found them in every route map (a
 * scenario routed to "__proto__" crashed the loader with a TypeError, CI seed 1987069537), and a
 * JSON field by such a name missing from the candidate's answer was no difference.
 */
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
type Cfg = Record<string, unknown> & { targets: Record<string, unknown>[]; scenarios: Record<string, unknown>[]; shadow?: unknown };

async function issuesOf(mutate: (c: Cfg) => void): Promise<{ path: string; message: string }[]> {
  const ws = tempWorkspace();
  const cfg = streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile }) as unknown as Cfg;
  mutate(cfg);
  try {
    await resolveConfig(cfg, 'proto.json', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
}

describe('names Object.prototype holds', () => {
  it.each(NAMES)('a stream scenario routed to "%s", which no target maps, is a config error naming the route', async (name) => {
    const issues = await issuesOf((c) => (c.scenarios[0]!.route = name));
    expect(issues.some((i) => i.path === 'scenarios[0].route' && i.message.includes(`route "${name}" is not in the route map`))).toBe(true);
  });

  it.each(NAMES)('a request scenario routed to "%s" is a config error too', async (name) => {
    const issues = await issuesOf((c) => (c.scenarios[0] = { name: 'r', type: 'request', route: name }));
    expect(issues.some((i) => i.message.includes(`route "${name}" is not in the route map`))).toBe(true);
  });

  it('a shadow route list naming "constructor" is a config error', async () => {
    const issues = await issuesOf((c) => (c.shadow = { routes: { constructor: {} } }));
    expect(issues.some((i) => i.message.includes('route "constructor" is not in the route map'))).toBe(true);
  });

  it.each(NAMES)('a JSON field named "%s" that the candidate leaves out is a missing field', (name) => {
    const rules = compileRules([{ ignore: [], formats: {}, unordered: {}, tolerance: {} }]);
    const baseline = JSON.parse(`{"id":1,"${name}":{"x":1}}`) as unknown;
    const candidate = JSON.parse('{"id":1}') as unknown;
    expect(diffJson(baseline, candidate, rules).map((d) => [d.pointer, d.kind])).toEqual([[`/${name}`, 'missing']]);
    expect(diffJson(candidate, baseline, rules).map((d) => [d.pointer, d.kind])).toEqual([[`/${name}`, 'extra']]);
  });

  it.each(['$.constructor', '$.toString', '$.__proto__', '$.a.hasOwnProperty', '$.items.length'])('the JSON path %s finds nothing in an answer without that member', (p) => {
    const body = JSON.parse('{"a":{},"items":[1,2]}') as unknown;
    expect(compileJsonPath(p).get(body)).toBeUndefined();
    expect(compileJsonPath('$.items[1]').get(body)).toBe(2);
    expect(compileJsonPath('$["constructor"]').get(JSON.parse('{"constructor":"x"}'))).toBe('x');
  });

  it('a key "__proto__" is kept as a key when strings are mapped (secret scrubbing, report escaping)', () => {
    const body = JSON.parse('{"__proto__":{"admin":"${V}"},"b":"${V}"}') as unknown;
    const out = mapStrings(body, (s) => s.replace('${V}', 'v'));
    expect(JSON.stringify(out)).toBe('{"__proto__":{"admin":"v"},"b":"v"}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('--format constructor is an unknown format (usage error), not a reporter', () => {
    expect(() => parseFormats('constructor')).toThrow(UsageError);
    expect(() => parseFormats('md,toString')).toThrow(/unknown format "toString"/);
  });

  it('parity constructor is an unknown command (exit 3 PARITY_USAGE), not a crash', async () => {
    expect(await loadCommand('toString')).toBeUndefined();
    const r = await runCli(['constructor']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n.*unknown command "constructor"/);
  });

  it('a captured body with content-encoding "__proto__" is sent as captured, like any coding parity cannot check', () => {
    const req = { t: 0, method: 'POST', path: '/chat', headers: { 'content-encoding': '__proto__', 'content-type': 'text/plain' }, body: 'a b', at: 'line 1' };
    expect(unsendable(req, { dropHeaders: [], rewrites: [] })).toBeUndefined();
    expect(unsendable({ ...req, headers: { 'content-encoding': 'gzip' } }, { dropHeaders: [], rewrites: [] })).toMatch(/does not decode/);
  });

  it.each([['parity', parityLines], ['gor', gorText]] as const)('a %s capture keeps headers named "__proto__" and "constructor" as headers when replayed', async (format, write) => {
    const file = path.join(tempWorkspace().dir, `capture.${format}`);
    const headers = JSON.parse('{"__proto__":"a","constructor":"b","x-c":"c"}') as Record<string, string>;
    writeFileSync(file, write([{ t: 1_700_000_000_000, method: 'GET', path: '/x', headers }]));
    const got: Record<string, string>[] = [];
    for await (const e of (await openCapture(file, format)).entries()) if (e.ok) got.push(e.req.headers);
    expect(got).toHaveLength(1);
    expect(Object.entries(got[0]!).filter(([k]) => k !== 'host')).toEqual([['__proto__', 'a'], ['constructor', 'b'], ['x-c', 'c']]);
  });
});
