import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompared } from '../../harness/run/shard.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * `parity replay --compare` tallies each replayed endpoint as one contract step of the scenario
 * `replay`, named for the endpoint (`GET /api/checkout`, or the capture's route name `checkout`),
 * while run.json's endpoints of a replay have no step. A `contract_drift` gate scoped to one
 * endpoint looked for contract steps named for the scenario (`replay`): with a `METHOD /path`
 * endpoint it found none, "no data", and stayed inconclusive however much the endpoint drifted;
 * with a capture route name it read every endpoint's compared pairs, so a checkout gate PASSED on
 * the other endpoints' clean pairs when no checkout pair was ever compared, and fired the promote
 * hook. A scoped drift gate now reads its endpoint's contract step, and only it.
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-drift-scope-', (candidate, req, res) => {
    const checkout = req.url!.startsWith('/api/checkout');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(checkout ? { ok: true, total: candidate ? 2 : 1 } : { ok: true }));
  });
});
afterAll(() => rig.close());

describe('parity replay --compare, a contract_drift gate scoped to one endpoint', () => {
  it('METHOD /path endpoints: the drifting endpoint fails its gate, the clean one passes its own', async () => {
    const T = Date.now();
    const lines = Array.from({ length: 400 }, (_, i) => {
      const checkout = i % 40 === 20;
      return JSON.stringify({ t: T + i, requestId: `r-${i}`, method: 'GET', path: checkout ? '/api/checkout' : '/api/items', headers: { accept: 'application/json' } });
    });
    const policy = [
      'name: drift',
      'minSamples: 5',
      'gates:',
      '  - { name: drift-checkout, metric: contract_drift, threshold: "<= 0", route: "GET /api/checkout" }',
      '  - { name: drift-items, metric: contract_drift, threshold: "<= 0", route: "GET /api/items" }',
      '  - { name: value-checkout, metric: contract_drift.value, threshold: "<= 0", route: "GET /api/checkout" }',
    ];
    const { r, run, promoted } = await rig.replay('paths', lines.join('\n') + '\n', policy, ['--compare', 'all']);
    const step = run.contracts!.find((c) => c.step === 'GET /api/checkout')!;
    expect(step.drifted).toBe(10);
    const checkout = run.verdict!.gates.find((g) => g.id === 'drift-checkout')!;
    expect(checkout.status, checkout.reason).toBe('fail');
    expect(checkout.samples.candidate).toBe(10);
    const items = run.verdict!.gates.find((g) => g.id === 'drift-items')!;
    expect(items.status, items.reason).toBe('pass');
    expect(items.samples.candidate).toBe(390);
    // A drift class reads the same endpoint's step.
    const value = run.verdict!.gates.find((g) => g.id === 'value-checkout')!;
    expect(value.status, value.reason).toBe('fail');
    expect(value.samples.candidate).toBe(10);
    expect(run.verdict!.status).toBe('fail');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(promoted).toBe(false);
  }, 30_000);

  it('a capture route name none of whose pairs was compared: no data, never a pass on the other endpoints', async () => {
    const T = Date.now();
    // Checkout requests only at iterations --compare 10% does not diff: its drift is never seen.
    const isCheckout = (i: number) => i % 30 === 15 && !isCompared(i, 0.1);
    const lines = Array.from({ length: 600 }, (_, i) => {
      const checkout = isCheckout(i);
      return JSON.stringify({ t: T + i, requestId: `r-${i}`, route: checkout ? 'checkout' : 'items', method: 'GET', path: checkout ? `/api/checkout/${i}` : '/api/items', headers: { accept: 'application/json' } });
    });
    const policy = [
      'name: drift',
      'minSamples: 5',
      'gates:',
      '  - { name: drift-checkout, metric: contract_drift, threshold: "<= 0", route: checkout }',
      '  - { name: breaking-checkout, metric: contract_drift.breaking, threshold: "<= 0", route: checkout }',
    ];
    const { run, promoted } = await rig.replay('names', lines.join('\n') + '\n', policy, ['--compare', '10%']);
    expect(run.endpoints!.find((e) => e.route === 'checkout')!.candidate.outcomes).toMatchObject({ ok: Array.from({ length: 600 }, (_, i) => i).filter(isCheckout).length });
    expect(run.contracts!.some((c) => c.step === 'items' && c.pairs > 0)).toBe(true);
    expect(run.contracts!.some((c) => c.step === 'checkout')).toBe(false);
    const gate = run.verdict!.gates.find((g) => g.id === 'drift-checkout')!;
    expect(gate.status, gate.reason).toBe('inconclusive');
    expect(gate.reason).toMatch(/no data/);
    const breaking = run.verdict!.gates.find((g) => g.id === 'breaking-checkout')!;
    expect(breaking.status, breaking.reason).toBe('inconclusive');
    expect(run.verdict!.status).toBe('inconclusive');
    expect(promoted).toBe(false);
  }, 30_000);
});
