import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicy, type LoadedPolicy } from '../../harness/gates/load.ts';
import { ParityError } from '../../harness/errors.ts';
import { deepText, mutations, nastyText, setAt } from '../helpers/mutations.ts';

/**
 * The policy loader over random damage, as the config loader's property test does for configs:
 * every outcome is a loaded policy or a coded ParityError (exit 3) naming the file; never a
 * TypeError (a stack trace where a verdict was expected), never a hang. A policy it accepts has
 * gates that can judge: each with a metric, a threshold and a positive sample minimum.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-policy-prop-'));
const ENV = { TOKEN: 'tok-123456', BAD: 'a\r\nb', EMPTY: '', URL: 'http://127.0.0.1:9' };

const base = (): Record<string, unknown> => ({
  name: 'fuzzed',
  description: 'every field the loader reads',
  extends: 'seed-003-cutover',
  confidence: 0.9,
  minSamples: 20,
  insufficient: 'inconclusive',
  bootstrap: { resamples: 500, seed: 7 },
  slo: 'ttft <= 500ms and tpot <= 50ms',
  failedRequests: '<= +1pp',
  gates: [
    { name: 'errors', metric: 'error_rate', threshold: '<= 1%', source: 'runbook' },
    { name: 'p95', metric: 'latency.p95', threshold: '<= 1.5x baseline or <= baseline + 10ms', route: 'POST /api/login', minSamples: 30 },
    { metric: 'first_content.p95', threshold: '<= 500ms', scenario: 'chat', severity: 'warn', insufficient: 'fail' },
    { metric: 'server.memory_bytes.slope', threshold: '<= baseline + 10000' },
    { metric: 'contract_drift', threshold: '<= 0', scenario: 'lots', step: 'create' },
  ],
  hooks: { onFail: [{ exec: ['node', 'rollback.mjs'], timeout: '1m', env: { T: '${TOKEN}' } }], onPass: { webhook: 'http://127.0.0.1:9/promote', headers: { authorization: 'Bearer ${TOKEN}' }, retries: 1 } },
});

const PATHS = [
  'name', 'description', 'extends', 'confidence', 'minSamples', 'insufficient', 'bootstrap', 'bootstrap.resamples', 'bootstrap.seed', 'slo', 'failedRequests',
  'gates', 'gates.0', 'gates.0.metric', 'gates.0.threshold', 'gates.0.name', 'gates.1.threshold', 'gates.1.route', 'gates.1.minSamples', 'gates.2.metric', 'gates.2.scenario',
  'gates.2.severity', 'gates.2.insufficient', 'gates.3.metric', 'gates.3.threshold', 'gates.4.step', 'gates.4.metric',
  'hooks', 'hooks.onFail', 'hooks.onFail.0.exec', 'hooks.onFail.0.timeout', 'hooks.onFail.0.env', 'hooks.onFail.0.env.T', 'hooks.onPass.webhook', 'hooks.onPass.headers.authorization', 'hooks.onPass.retries',
];

let n = 0;
async function outcome(raw: unknown): Promise<{ ok: LoadedPolicy } | { err: unknown }> {
  const file = path.join(dir, `policy-${n++}.json`);
  writeFileSync(file, deepText(JSON.stringify(raw) ?? '')); // undefined: an empty file
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('HANG: loadPolicy did not answer within 10 s')), 10_000)));
  try {
    return { ok: await Promise.race([loadPolicy(file, ENV), late]) };
  } catch (err) {
    return { err };
  } finally {
    clearTimeout(timer);
  }
}

function expectCoded(err: unknown): void {
  if (!(err instanceof ParityError)) throw new Error(`not a coded error: ${(err as Error)?.stack ?? String(err)}`);
  expect(err.exitCode).toBe(3);
  expect(err.message).toMatch(/policy-\d+\.json/);
  expect(err.message.length).toBeLessThan(200_000);
}

describe('policy loader properties', () => {
  it('the undamaged policy loads (the property below starts from a valid one)', async () => {
    const r = await outcome(base());
    if ('err' in r) throw r.err;
    expect(r.ok.gates.length).toBeGreaterThan(5);
  });

  it('random mutations of a valid policy: a policy whose gates can judge, or a coded error; never a crash or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(mutations(PATHS, nastyText), async (muts) => {
        const policy = base();
        for (const m of muts) setAt(policy, m.path, m.value, m.del);
        const r = await outcome(policy);
        if ('err' in r) return expectCoded(r.err);
        expect(r.ok.gates.length + (r.ok.slo ? 1 : 0)).toBeGreaterThan(0);
        for (const g of [...r.ok.gates, r.ok.guard]) {
          expect(g.metric).toBeDefined();
          expect(g.threshold).toBeDefined();
          expect(Number.isInteger(g.minSamples) && g.minSamples >= 1).toBe(true);
        }
        expect(r.ok.confidence > 0.5 && r.ok.confidence < 1).toBe(true);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('any value at all as a policy: a coded error (or, by chance, a valid policy), never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 4 }), async (raw) => {
        const r = await outcome(raw);
        if ('err' in r) expectCoded(r.err);
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
