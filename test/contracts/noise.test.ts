import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { runParity } from '../../harness/run/engine.ts';
import { AUTH, driftList, envTargets } from '../helpers/contracts.ts';

/**
 * Both backends answer with fresh random tokens, uuids and millisecond timestamps. No rule names
 * them: noise learning alone (a second baseline response per step) must find them, keep them
 * out of drift, and list them as noise.
 */
const started: ContractFixture[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});
const start = async () => {
  const f = await startContractFixture();
  started.push(f);
  return f;
};

function config(noise: NonNullable<ConfigInput['contracts']>['noise'], repeat: number): ConfigInput {
  return {
    targets: envTargets('old', 'new'),
    contracts: {
      noise,
      concurrency: 8,
      flows: [
        {
          name: 'lots',
          repeat,
          steps: [
            { name: 'health', route: 'GET /api/health' },
            { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } },
            { name: 'create', route: 'POST /api/lots', headers: AUTH, body: { lot_code: 'L-{{unique}}', lot_type: 'RAW' }, capture: { id: '$.id' } },
            { name: 'qc', route: 'POST /api/lots/{{id}}/qc', headers: AUTH, body: { decision: 'PASS' } },
            { name: 'trace', route: 'GET /api/traceability/{{id}}', headers: AUTH },
          ],
        },
      ],
    },
  };
}

const run = async (cfg: ConfigInput, env: NodeJS.ProcessEnv) =>
  (await runParity(await resolveConfig(cfg, 'noise.config.json', env), { outDir: mkdtempSync(path.join(tmpdir(), 'parity-noise-')) })).result.contracts!;

describe('noise learning', () => {
  it('over 210 flows with random tokens, uuids and timestamps: zero drift, those pointers listed as noise', async () => {
    const [b, c] = [await start(), await start()];
    const steps = await run(config(true, 210), { BASELINE_URL: b.url, CANDIDATE_URL: c.url });
    expect(steps.map((s) => s.pairs)).toEqual([210, 210, 210, 210, 210]);
    expect(driftList(steps)).toEqual([]);
    expect(steps.every((s) => s.identical === 210 && s.drifted === 0)).toBe(true);
    const noise = Object.fromEntries(steps.map((s) => [s.step, s.noise.map((n) => n.pointer)]));
    expect(noise.health).toEqual(['/timestamp']);
    expect(noise.login).toEqual(['/expires_at', '/token']);
    // lot_code echoes {{unique}} and lot_id the id captured at create: each side's own value is
    // mapped to one placeholder before the diff, so they are compared, not learned as noise.
    expect(noise.create).toEqual(['/created_at', '/id']);
    expect(noise.qc).toEqual(['/decided_at', '/id']);
    expect(noise.trace).toEqual(['/generated_at', '/lot/created_at', '/qc_decisions/*/decided_at', '/qc_decisions/*/id']);
    // Random values differ in every pair; the count says so.
    expect(steps.find((s) => s.step === 'login')!.noise.find((n) => n.pointer === '/token')!.count).toBe(210);
  });

  it('without noise learning the same run drifts at exactly those pointers', async () => {
    const [b, c] = [await start(), await start()];
    const steps = await run(config(false, 20), { BASELINE_URL: b.url, CANDIDATE_URL: c.url });
    const login = steps.find((s) => s.step === 'login')!;
    expect(login.drift.map((d) => `${d.pointer} ${d.kind}`)).toContain('/token value');
    expect(login.drifted).toBe(20);
    expect(steps.every((s) => s.noise.length === 0)).toBe(true);
  });

  it('learns from a second baseline URL when given one', async () => {
    const [b, c, b2] = [await start(), await start(), await start()];
    const steps = await run(config({ baselineUrl: '${BASELINE2_URL}' }, 100), { BASELINE_URL: b.url, CANDIDATE_URL: c.url, BASELINE2_URL: b2.url });
    expect(driftList(steps)).toEqual([]);
    expect(steps.find((s) => s.step === 'create')!.noise.map((n) => n.pointer)).toEqual(['/created_at', '/id']);
    // The second baseline got every step once per flow; the first baseline none of the replica's.
    expect(b2.requests).toBe(100 * 5);
    expect(b.requests).toBe(100 * 5);
  });

  it('noise does not hide a different kind of difference at a noisy pointer', async () => {
    const b = await start();
    const c = await startContractFixture({ drifts: { numericId: true } });
    started.push(c);
    const steps = await run(config(true, 20), { BASELINE_URL: b.url, CANDIDATE_URL: c.url });
    const create = steps.find((s) => s.step === 'create')!;
    expect(create.noise.map((n) => n.pointer)).toContain('/id');
    expect(create.drift.map((d) => `${d.pointer} ${d.kind}`)).toEqual(['/id type']);
  });
});
