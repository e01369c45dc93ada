import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture, type ContractFixtureOptions } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput, DiffRulesConfig } from '../../harness/config/schema.ts';
import { runParity } from '../../harness/run/engine.ts';
import { AUTH, driftList, envTargets } from '../helpers/contracts.ts';

/**
 * Header rules. The fixture backend answers with absolute `Location` and `Link` URLs built from
 * its own Host, a `Date` from its clock and a fresh `x-trace-id` on every call. Two copies of the
 * same backend on two ports (the second host's clock 2 s ahead) must compare clean once headers
 * are normalized, and must drift at exactly those headers when they are not.
 */
const started: ContractFixture[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});
const start = async (o: ContractFixtureOptions = {}) => {
  const f = await startContractFixture(o);
  started.push(f);
  return f;
};

type HeaderRules = NonNullable<DiffRulesConfig['headers']>;

function config(headers: string[], headerRules: Partial<HeaderRules> | undefined, noise: boolean): ConfigInput {
  return {
    targets: envTargets('a', 'a-copy'),
    contracts: {
      noise,
      headers,
      rules: {
        // The bodies' own random values, compared by format (no noise learning in the A-vs-A run).
        formats: { '/token': 'non-empty', '/id': 'uuid', '/**/created_at': 'iso-datetime', '/**/decided_at': 'iso-datetime', '/**/expires_at': 'iso-datetime', '/timestamp': 'iso-datetime' },
        ...(headerRules ? { headers: { ignore: [], formats: {}, ...headerRules } } : {}),
      },
      flows: [
        {
          name: 'lots',
          repeat: 3,
          steps: [
            { name: 'health', route: 'GET /api/health' },
            { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } },
            { name: 'create', route: 'POST /api/lots', headers: AUTH, body: { lot_code: 'L-{{unique}}', lot_type: 'RAW' }, capture: { lot_id: '$.id' } },
            { name: 'get', route: 'GET /api/lots/{{lot_id}}', headers: AUTH },
            { name: 'qc', route: 'POST /api/lots/{{lot_id}}/qc', headers: AUTH, body: { decision: 'PASS' } },
          ],
        },
      ],
    },
  };
}

const run = async (cfg: ConfigInput, env: NodeJS.ProcessEnv) =>
  (await runParity(await resolveConfig(cfg, 'headers.config.json', env), { outDir: mkdtempSync(path.join(tmpdir(), 'parity-headers-')) })).result.contracts!;

describe('header rules: the same backend on two ports', () => {
  const HEADERS = ['content-type', 'date', 'link', 'location'];

  it('with origin, http-date and a regex replacement: zero drift', async () => {
    const [a, b] = [await start(), await start({ dateOffsetMs: 2_000 })];
    const steps = await run(
      config(HEADERS, {
        normalize: {
          link: 'origin',
          // The created lot's own id is new on each side: its URL compares by shape.
          location: ['origin', { pattern: '/api/lots/[0-9a-f-]{36}$', replace: '/api/lots/{id}' }],
          '/date': 'http-date',
        },
      }, false),
      { BASELINE_URL: a.url, CANDIDATE_URL: b.url },
    );
    expect(driftList(steps)).toEqual([]);
    expect(steps.every((s) => s.identical === 3)).toBe(true);
  });

  it('without them: drift at exactly date, link and location', async () => {
    const [a, b] = [await start(), await start({ dateOffsetMs: 2_000 })];
    const steps = await run(config(HEADERS, undefined, false), { BASELINE_URL: a.url, CANDIDATE_URL: b.url });
    expect(driftList(steps)).toEqual([
      'lots/create /date header',
      'lots/create /location header',
      'lots/get /date header',
      'lots/get /link header',
      'lots/health /date header',
      'lots/login /date header',
      'lots/qc /date header',
      'lots/qc /location header',
    ]);
    const link = steps.find((s) => s.step === 'get')!.drift.find((d) => d.pointer === '/link')!;
    expect(link).toMatchObject({ class: 'value', count: 3 });
    expect(String(link.example.baseline)).toContain(a.url);
    expect(String(link.example.candidate)).toContain(b.url);
  });

  it('a header rule that names a header compares it even when contracts.headers does not list it', async () => {
    const [a, b] = [await start(), await start()];
    // Only the id is normalized, not the origin: the two ports still show.
    const steps = await run(config(['content-type'], { normalize: { location: { pattern: '[0-9a-f-]{36}$', replace: '{id}' } } }, false), { BASELINE_URL: a.url, CANDIDATE_URL: b.url });
    expect(driftList(steps)).toEqual(['lots/create /location header', 'lots/qc /location header']);
    expect(steps.find((s) => s.step === 'create')!.drift[0]!.example.candidate).toMatch(new RegExp(`^${b.url}/api/lots/[0-9a-f-]{36}$`));
  });

  it('ignore drops a header from the comparison', async () => {
    const [a, b] = [await start(), await start({ dateOffsetMs: 2_000 })];
    const steps = await run(config(['content-type', 'date'], { ignore: ['date'] }, false), { BASELINE_URL: a.url, CANDIDATE_URL: b.url });
    expect(driftList(steps)).toEqual([]);
  });
});

describe('noise keeps structure: headers', () => {
  const HEADERS = ['content-type', 'x-trace-id'];

  it('a header whose value varies per call is noise, not drift', async () => {
    const [a, b] = [await start(), await start()];
    const steps = await run(config(HEADERS, undefined, true), { BASELINE_URL: a.url, CANDIDATE_URL: b.url });
    expect(driftList(steps)).toEqual([]);
    expect(steps.every((s) => s.noise.some((n) => n.pointer === '/x-trace-id'))).toBe(true);
  });

  it('a candidate that drops that header: a missing header at every step, breaking', async () => {
    const [a, b] = [await start(), await start({ drifts: { dropTraceHeader: true } })];
    const steps = await run(config(HEADERS, undefined, true), { BASELINE_URL: a.url, CANDIDATE_URL: b.url });
    expect(driftList(steps)).toEqual(['create', 'get', 'health', 'login', 'qc'].map((s) => `lots/${s} /x-trace-id header_missing`));
    for (const s of steps) {
      // Still learned as noise for its value; the absence is reported anyway.
      expect(s.noise.map((n) => n.pointer)).toContain('/x-trace-id');
      expect(s.drift[0]).toMatchObject({ class: 'breaking', count: 3, example: { baseline: expect.any(String), candidate: null } });
      expect(s.classes).toEqual({ breaking: 3, additive: 0, value: 0 });
    }
  });
});
