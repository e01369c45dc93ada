import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * A parity capture (`parity shadow --capture`) names each request's route (the config's logical
 * route: `items`, `checkout`), and a replay summarises its pairs under those names, so a policy may
 * gate one: `error_rate <= +1pp` on route `checkout`. The gate read every replayed pair instead of
 * the route's (a route scope was only narrowed to pairs for `METHOD /path` templates): a candidate
 * answering 500 to every checkout request, 1 in 400 of the capture, PASSED the gate named for
 * checkout and fired the promote hook.
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-route-name-', (candidate, req, res) => {
    const broken = candidate && req.url!.startsWith('/api/checkout');
    res.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' }).end(broken ? '{"error":"boom"}' : '{"ok":true}');
  });
});
afterAll(() => rig.close());

describe('parity replay of a parity capture, a gate scoped to one of its route names', () => {
  it('every checkout request failing on the candidate: the checkout gate does not pass, no promote hook', async () => {
    const T = Date.now();
    const lines = Array.from({ length: 2000 }, (_, i) => {
      const checkout = i % 400 === 200;
      return JSON.stringify({ t: T + i, requestId: `r-${i}`, route: checkout ? 'checkout' : 'items', method: 'GET', path: checkout ? `/api/checkout/${i}` : `/api/items/${i % 7}`, headers: { accept: 'application/json' } });
    });
    const { r, run, promoted } = await rig.replay('capture', lines.join('\n') + '\n', ['name: checkout', 'minSamples: 5', 'failedRequests: "<= +1pp"', 'gates:', '  - { name: checkout-errors, metric: error_rate, threshold: "<= +1pp", route: checkout }']);
    // Ten checkout pairs, each answered 500 by the candidate only.
    const checkout = run.endpoints!.find((e) => e.route === 'checkout')!;
    expect(checkout.candidate.outcomes).toMatchObject({ http_error: 5 });
    expect(checkout.baseline.outcomes).toMatchObject({ ok: 5 });
    const gate = run.verdict!.gates.find((g) => g.id === 'checkout-errors')!;
    expect(gate.samples.candidate, gate.reason).toBe(5);
    expect(gate.status, gate.reason).toBe('fail');
    expect(run.verdict!.status).toBe('fail');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(promoted).toBe(false);
  }, 30_000);
});
