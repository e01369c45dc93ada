import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig, streamScenarios } from '../../harness/config/load.ts';
import { ConfigError, ParityError } from '../../harness/errors.ts';
import { checkStep } from '../../harness/contracts/assertions.ts';
import { compareResponses, normalizeResponse } from '../../harness/contracts/normalize.ts';
import { compileRules } from '../../harness/contracts/rules.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

type Cfg = Record<string, unknown> & { targets: Record<string, unknown>[]; scenarios: Record<string, unknown>[]; load: Record<string, unknown> };

async function issuesOf(mutate: (c: Cfg) => void, env: NodeJS.ProcessEnv = {}): Promise<{ path: string; message: string }[]> {
  const ws = tempWorkspace();
  const cfg = streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile }) as unknown as Cfg;
  mutate(cfg);
  try {
    await resolveConfig(cfg, 'bad.json', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
}

describe('config that cannot be sent as written is a config error, before any traffic', () => {
  const cases: [string, (c: Cfg) => void, string, RegExp, NodeJS.ProcessEnv?][] = [
    ['header value with CR/LF', (c) => (c.targets[0]!.headers = { 'x-a': 'ok\r\nx-injected: 1' }), 'targets[0].headers.x-a', /CR or LF/],
    ['header value with CR/LF from the environment', (c) => (c.targets[1]!.headers = { 'x-a': '${VAL}' }), 'targets[1].headers.x-a', /CR or LF.*check the variable/, { VAL: 'a\nb' }],
    ['header value with a control character', (c) => (c.scenarios[0]!.headers = { 'x-a': 'a\u0007b' }), 'scenarios[0].headers.x-a', /control character U\+0007/],
    ['header name with a space', (c) => (c.targets[0]!.headers = { 'x bad': '1' }), 'targets[0].headers.x bad', /not an HTTP token/],
    ['header name with a colon', (c) => (c.scenarios[0]!.headers = { 'x:y': '1' }), 'scenarios[0].headers.x:y', /not an HTTP token/],
    ['header the client owns', (c) => (c.targets[0]!.headers = { 'Transfer-Encoding': 'chunked' }), 'targets[0].headers.Transfer-Encoding', /managed by the HTTP client/],
    ['route path with a space', (c) => (c.targets[0]!.routes = { chat: { method: 'POST', path: '/chat stream' } }), 'targets[0].routes.chat', /contains a space.*%20/],
    ['route path with CR/LF', (c) => (c.targets[1]!.routes = { chat: { method: 'POST', path: '/chat\r\nX: 1' } }), 'targets[1].routes.chat', /line break/],
    ['health path with a space', (c) => (c.targets[0]!.health = ['/health check']), 'targets[0].health[0]', /contains a space/],
    // undici writes a path one byte per character: `é` went out as the Latin-1 byte 0xE9, not the UTF-8 text written (node:http answers 400).
    ['route path with a non-ASCII character', (c) => (c.targets[1]!.routes = { chat: 'POST /menu/café' }), 'targets[1].routes.chat', /non-ASCII character "é", which would go out as the Latin-1 byte 0xE9.*percent-encode it: "\/menu\/caf%C3%A9"/],
    ['a literal scenario route with a non-ASCII character', (c) => (c.scenarios[0]!.route = 'POST /größe'), 'targets[0].routes.POST /größe', /percent-encode it: "\/gr%C3%B6%C3%9Fe"/],
    // Contract steps and request/flow scenarios compiled their literal routes without this check: `é` still went out as 0xE9.
    ['a contract step\'s literal route with a non-ASCII character', (c) => (c.contracts = { flows: [{ name: 'f', steps: [{ name: 's', route: 'GET /menu/café' }] }] }), 'contracts.flows[0].steps[0].route', /non-ASCII character "é".*percent-encode it: "\/menu\/caf%C3%A9"/],
    ['a request scenario\'s literal route with a non-ASCII character (its {{vars}} kept in the fix)', (c) => c.scenarios.push({ type: 'request', name: 'r', route: 'GET /größe/{{run_id}}' }), 'scenarios[1].route', /Latin-1 byte 0xF6.*percent-encode it: "\/gr%C3%B6%C3%9Fe\/\{\{run_id\}\}"/],
    ['a flow step\'s literal route with a character beyond Latin-1', (c) => c.scenarios.push({ type: 'flow', name: 'f', steps: [{ name: 'a', route: 'POST /a' }, { name: 'b', route: 'GET /items/日本' }] }), 'scenarios[1].steps[1].route', /character beyond U\+00FF.*percent-encode it/],
    ['health path with a non-ASCII character from the environment', (c) => (c.targets[0]!.health = ['${HEALTH}']), 'targets[0].health[0]', /non-ASCII character "ü"/, { HEALTH: '/prüfung' }],
    ['request-id header with a space', (c) => (c.requestIdHeader = 'x request id'), 'requestIdHeader', /not an HTTP token/],
    ['baseUrl with another scheme', (c) => (c.targets[0]!.baseUrl = 'ftp://127.0.0.1:9'), 'targets[0].baseUrl', /scheme "ftp" is not supported/],
    ['baseUrl without a scheme', (c) => (c.targets[0]!.baseUrl = 'localhost:8000'), 'targets[0].baseUrl', /no http:\/\/ or https:\/\/ scheme/],
    ['baseUrl with a line break', (c) => (c.targets[1]!.baseUrl = 'http://127.0.0.1:9/a\nb'), 'targets[1].baseUrl', /line break/],
    ['baseUrl with a query that would be dropped', (c) => (c.targets[1]!.baseUrl = 'http://127.0.0.1:9/?k=1'), 'targets[1].baseUrl', /query/],
    ['timeouts.total: 0', (c) => ((c.load.timeouts as Record<string, unknown>).total = 0), 'load.timeouts.total', /must be above 0/],
    ['a timeout of a year', (c) => ((c.load.timeouts as Record<string, unknown>).idle = '8760h'), 'load.timeouts.idle', /ceiling of 86,400,000/],
    ['vus: 1e9', (c) => (c.load.vus = 1e9), 'load.vus', /vus 1,000,000,000 is above the ceiling of 10,000: each VU holds/],
    ['an absurd rate', (c) => (c.load = { model: 'constant-arrival-rate', rate: 5000, timeUnit: '100ms', duration: '10s' }), 'load.rate', /50,000 is above the ceiling of 10,000: one parity process/],
    ['an absurd ramp', (c) => (c.load = { model: 'ramping-arrival-rate', stages: [{ duration: '1s', target: 1e7 }] }), 'load.stages[0].target', /ceiling/],
    ['connections beyond the port range', (c) => (c.targets[0]!.connections = 1e6), 'targets[0].connections', /ceiling/],
  ];
  for (const [name, mutate, at, message, env] of cases) {
    it(name, async () => {
      const issues = await issuesOf(mutate, env);
      expect(issues).toContainEqual({ path: at, message: expect.stringMatching(message) });
    });
  }

  it('the header value is never echoed (it may be a secret)', async () => {
    const issues = await issuesOf((c) => (c.targets[0]!.headers = { authorization: 'Bearer s3cr3t-value\n' }));
    expect(JSON.stringify(issues)).not.toContain('s3cr3t');
  });

  it('through the CLI: exit 3, PARITY_CONFIG_INVALID, file, path and fix, nothing sent', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile }) as unknown as Cfg;
    cfg.load.vus = 1e9;
    (cfg.load.timeouts as Record<string, unknown>).total = 0;
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('PARITY_CONFIG_INVALID');
    expect(r.stderr).toContain(`${ws.configFile}: 2 problems; nothing was sent.`);
    expect(r.stderr).toMatch(/→ at load\.vus/);
    expect(r.stderr).toMatch(/→ at load\.timeouts\.total/);
  });
});

describe('loading limits', () => {
  it('a TS config that never finishes loading is PARITY_CONFIG_UNREADABLE after the load timeout, not a hang', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-ts-'));
    const file = path.join(dir, 'never.config.mts');
    writeFileSync(file, 'await new Promise(() => setInterval(() => {}, 1000));\nexport default {};\n');
    const t0 = Date.now();
    const err = await loadConfig(file, { PARITY_CONFIG_LOAD_TIMEOUT: '1500' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParityError);
    expect((err as ParityError).code).toBe('PARITY_CONFIG_UNREADABLE');
    expect((err as Error).message).toMatch(/did not finish loading within 1500 ms/);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('a TS config stuck in a synchronous loop is stopped and refused the same way (exit 3), not a hang', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-ts-'));
    const file = path.join(dir, 'busy.config.mts');
    writeFileSync(file, 'while (Date.now() > 0) {}\nexport default {};\n');
    // In a process of its own: stopping a blocked main thread is what the watchdog does.
    const r = spawnSync(process.execPath, [path.resolve('bin/parity.mjs'), 'validate', file], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PARITY_CONFIG_LOAD_TIMEOUT: '1500' } });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('PARITY_CONFIG_UNREADABLE');
    expect(r.stderr).toMatch(/busy\.config\.mts: the config module did not finish loading within 1500 ms/);
  });

  it('a 150 MB prompt file is refused by size, streamed (never read whole), with the field path', async () => {
    const ws = tempWorkspace();
    const big = path.join(ws.dir, 'big.jsonl');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 150 * 1024 * 1024); // sparse: costs no disk
    closeSync(fd);
    const issues = await issuesOf((c) => (c.scenarios[0]!.prompts = big));
    expect(issues).toContainEqual({ path: 'scenarios[0].prompts', message: expect.stringMatching(/above the 64 MB limit/) });
  });

  it('a prompt line longer than the line limit is refused while streaming', async () => {
    const ws = tempWorkspace();
    const f = path.join(ws.dir, 'long.jsonl');
    writeFileSync(f, '{"text":"' + 'x'.repeat(2 * 1024 * 1024) + '"}\n');
    const issues = await issuesOf((c) => (c.scenarios[0]!.prompts = f));
    expect(issues).toContainEqual({ path: 'scenarios[0].prompts', message: expect.stringMatching(/line 1 is longer than 1 MB/) });
  });

  it('CRLF prompt files still read line by line', async () => {
    const ws = tempWorkspace();
    const f = path.join(ws.dir, 'crlf.jsonl');
    writeFileSync(f, '{"text":"a"}\r\n\r\n{"text":"b","expectsCitations":true}');
    const cfg = streamConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: f });
    const loaded = await resolveConfig(cfg, 'ok.json', {});
    expect(streamScenarios(loaded)[0]!.prompts.map((p) => p.text)).toEqual(['a', 'b']);
  });
});

describe('deep JSON in contract responses', () => {
  const deep = '['.repeat(100_000) + '1' + ']'.repeat(100_000);
  const raw = (bodyText: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, bodyText, durationMs: 1 });

  it('a 100,000-level body is compared and asserted on without overflowing the stack, with a clear failure', async () => {
    const a = normalizeResponse(raw(deep));
    const b = normalizeResponse(raw('{"ok":true}'));
    expect(a.tooDeep).toBe(true);
    const rules = compileRules([{ ignore: [], formats: {}, unordered: {}, tolerance: {} }]);
    expect(compareResponses(a, b, { headers: [], rules, body: true }).map((d) => d.kind)).toEqual(['type']);
    expect(compareResponses(a, normalizeResponse(raw(deep)), { headers: [], rules, body: true })).toEqual([]);
    const loaded = await resolveConfig(
      {
        targets: [
          { name: 'b', role: 'baseline', baseUrl: 'http://127.0.0.1:9', routes: { get: 'GET /x' } },
          { name: 'c', role: 'candidate', baseUrl: 'http://127.0.0.1:9', routes: { get: 'GET /x' } },
        ],
        contracts: { flows: [{ name: 'f', steps: [{ name: 's', route: 'get', expect: { status: 200, values: { 'a.b': 1 }, schema: { type: 'object' } } }] }] },
      },
      'c.json',
      {},
    );
    const step = loaded.contracts!.flows[0]!.steps[0]!;
    const fails = await checkStep(step, a, new Map(), new Map());
    expect(fails).toEqual([{ check: 'json', message: expect.stringMatching(/nested deeper than 1000 levels/) }]);
  });
});

describe('policy hooks', () => {
  it('a webhook header with CR/LF or a bad name is a config error of the policy, before any traffic', async () => {
    const { loadPolicy } = await import('../../harness/gates/load.ts');
    const ws = tempWorkspace();
    const p = path.join(ws.dir, 'hooks.yaml');
    writeFileSync(p, 'gates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onPass:\n    webhook: http://127.0.0.1:9/x\n    headers: { "x bad": "1", x-token: "${TOK}" }\n');
    const err = (await loadPolicy(p, { TOK: 'a\nb' }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues).toEqual([
      { path: 'hooks.onPass[0].headers.x bad', message: expect.stringMatching(/not an HTTP token/) },
      { path: 'hooks.onPass[0].headers.x-token', message: expect.stringMatching(/CR or LF.*check the variable/) },
    ]);
  });
});

describe('policy hooks: one webhook header in two spellings', () => {
  it('is a config error at the later spelling (one value was silently dropped: headers are keyed in lower case)', async () => {
    const { loadPolicy } = await import('../../harness/gates/load.ts');
    const ws = tempWorkspace();
    const p = path.join(ws.dir, 'hooks.yaml');
    writeFileSync(p, 'gates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onFail:\n    webhook: http://127.0.0.1:9/x\n    headers: { X-Deploy-Token: one, x-deploy-token: two }\n');
    const err = (await loadPolicy(p, {}).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues).toEqual([{ path: 'hooks.onFail[0].headers.x-deploy-token', message: expect.stringMatching(/header "x-deploy-token" is also given as "X-Deploy-Token" .*; keep one/) }]);
    expect(JSON.stringify(err.issues)).not.toMatch(/"(one|two)"/);
  });
});

describe('body templates nested past any real body', () => {
  it('a 10,000-deep body in a stream, request or contract step is a config error at its path, not a stack overflow', async () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) as unknown;
    const ws = tempWorkspace();
    const targets = [
      { name: 'a', role: 'baseline' as const, baseUrl: 'http://127.0.0.1:9', routes: { c: 'POST /c' } },
      { name: 'b', role: 'candidate' as const, baseUrl: 'http://127.0.0.1:9', routes: { c: 'POST /c' } },
    ];
    const cases: [unknown, string][] = [
      [{ targets, scenarios: [{ name: 's', route: 'c', prompts: ws.promptsFile, body: deep }], load: { vus: 1, iterations: 1 } }, 'scenarios[0].body'],
      [{ targets, scenarios: [{ type: 'request', name: 'r', route: 'c', body: deep }], load: { vus: 1, iterations: 1 } }, 'scenarios[0].body'],
      [{ targets, contracts: { flows: [{ name: 'f', steps: [{ name: 's', route: 'c', body: deep }] }] } }, 'contracts.flows[0].steps[0].body'],
    ];
    for (const [cfg, at] of cases) {
      const err = await resolveConfig(cfg, 'deep.json', {}).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toEqual([{ path: at, message: expect.stringMatching(/nests deeper than 1000 levels/) }]);
    }
  });
});
