import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { startPair, type FixturePair } from '../helpers/contracts.ts';
import { captureIO } from '../helpers/cli.ts';

let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

type Step = NonNullable<NonNullable<ConfigInput['contracts']>['flows']>[number]['steps'][number];
const login: Step = { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } };

/** Writes a YAML config with these steps and runs it: the result, what was printed, and whether any request was sent. */
async function runSteps(steps: unknown[]) {
  pair = await startPair();
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-bad-'));
  const file = path.join(dir, 'bad.config.yaml');
  const cfg = {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: '${BASELINE_URL}', routes: {}, health: ['/api/health'] },
      { name: 'new', role: 'candidate', baseUrl: '${CANDIDATE_URL}', routes: {}, health: ['/api/health'] },
    ],
    contracts: { flows: [{ name: 'f', steps }] },
  };
  writeFileSync(file, stringify(cfg));
  const io = captureIO(pair.env);
  const code = await main(['run', file, '--out', path.join(dir, 'reports')], io.io);
  return { code, err: io.err, file, sent: pair.baseline.requests + pair.candidate.requests };
}

describe('bad contract scenario files fail before any request, naming file and path', () => {
  it('a capture from a step that does not exist', async () => {
    const r = await runSteps([login, { name: 'get', route: 'GET /api/lots/x', headers: { authorization: 'Bearer {{logn.token}}' } }]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toContain(r.file);
    expect(r.err).toContain('"{{logn.token}}" captures from step "logn", which does not exist in flow "f" (its steps: login, get)');
    expect(r.err).toContain('→ at contracts.flows[0].steps[1].headers.authorization');
  });

  it('a read-back of a step that does not exist', async () => {
    const r = await runSteps([login, { name: 'get', route: 'GET /api/health', readBack: { step: 'create' } }]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toContain('step "create" does not exist in flow "f"');
    expect(r.err).toContain('→ at contracts.flows[0].steps[1].readBack.step');
  });

  it('a variable used before it is captured', async () => {
    const r = await runSteps([
      { name: 'create', route: 'POST /api/lots', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: 'x', lot_type: 'RAW' } },
      login,
    ]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toContain('variable "{{token}}" is used before it is captured (by step "login")');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].headers.authorization');
  });

  it('a variable never captured, in a path parameter', async () => {
    const r = await runSteps([login, { name: 'get', route: 'GET /api/lots/{{lot_id}}' }]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('variable "{{lot_id}}" is never defined');
    expect(r.err).toContain('→ at contracts.flows[0].steps[1].route');
  });

  it('an invalid JSON Schema', async () => {
    const r = await runSteps([{ ...login, expect: { schema: { type: 'object', properties: { token: { type: 'strin' } } } } }]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toMatch(/invalid JSON Schema: schema is invalid: .*type/);
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].expect.schema');
  });

  it('a JSON path that does not parse (capture and values)', async () => {
    const r = await runSteps([{ ...login, capture: { token: '$.items[' }, expect: { values: { '$.a..b': 1 } } }]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toContain('JSON path "$.items[" does not parse');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].capture.token');
    expect(r.err).toContain('JSON path "$.a..b" does not parse');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].expect.values.$.a..b');
    expect(r.err).toContain('2 problems');
  });

  it('a route no target maps', async () => {
    const r = await runSteps([{ name: 'ask', route: 'chat.ask', stream: true }]);
    expect(r.code).toBe(3);
    expect(r.err).toContain('route "chat.ask" is not in the route map of target "old"');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].route');
  });

  it('bad diff rules: a regex that does not parse, an unknown normalizer, class or header name', async () => {
    const r = await runSteps([
      {
        ...login,
        rules: {
          normalize: { '/a': { pattern: '([a-z' }, '/b': 'host' },
          classes: { '/c': 'harmless' },
          headers: { normalize: { 'bad header': 'origin' } },
        },
      },
    ]);
    expect(r.code).toBe(3);
    expect(r.sent).toBe(0);
    expect(r.err).toContain('not a valid regular expression');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].rules.normalize./a.pattern');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].rules.normalize./b');
    expect(r.err).toContain('→ at contracts.flows[0].steps[0].rules.classes./c');
    expect(r.err).toContain('expected a header name like "link"');
  });

  it('a config with only contracts needs no load section; stream scenarios still do', async () => {
    const r = await runSteps([login]);
    expect(r.code).toBe(0);
    expect(r.sent).toBeGreaterThan(0);
  });
});

describe('a contracts section may hold only rules (for sampled diffs under load and in replay)', () => {
  it('but a config with nothing to run is still rejected, naming what to add', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-rules-only-'));
    const file = path.join(dir, 'rules.config.yaml');
    const targets = [
      { name: 'old', role: 'baseline', baseUrl: 'http://127.0.0.1:1', routes: {} },
      { name: 'new', role: 'candidate', baseUrl: 'http://127.0.0.1:2', routes: {} },
    ];
    writeFileSync(file, stringify({ targets, contracts: { rules: { ignore: ['/id'] } } }));
    const io = captureIO({});
    expect(await main(['validate', file], io.io)).toBe(3);
    expect(io.err).toContain(file);
    expect(io.err).toContain('give at least one scenario, contract flows ("contracts.flows") or a "shadow" section');

    // With a request scenario beside it, the rules-only section is valid and no contract flow is planned.
    writeFileSync(file, stringify({ targets, scenarios: [{ name: 'items', type: 'request', route: 'GET /items', compare: 'all' }], load: { vus: 1, iterations: 1 }, contracts: { rules: { ignore: ['/id'] } } }));
    const ok = captureIO({});
    expect(await main(['validate', file], ok.io), ok.err).toBe(0);
    expect(ok.out).not.toContain('contract flows:');
  });
});
