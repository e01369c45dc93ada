import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityLines } from '../helpers/replay.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * A replay is one scenario, `replay`, its pairs summarised per endpoint; the failed-requests guard
 * pooled every replayed pair. A rare endpoint of real traffic (checkout, 1 request in 1000) whose
 * candidate answered 500 to every request moved the run-wide error rate by 0.1 pp, inside the
 * +0.5 pp margin: PASS, and the promote hook fired, with no gate naming checkout. Scenarios and
 * flow steps have a guard of their own that fails on evidence (small-scenario-failures.test.ts);
 * a replay's endpoints now do too, reported when they fail.
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-rare-endpoint-', (candidate, req, res) => {
    const broken = candidate && req.url!.startsWith('/api/checkout');
    res.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' }).end(broken ? '{"error":"boom"}' : '{"ok":true}');
  });
});
afterAll(() => rig.close());

describe('parity replay: a rare endpoint broken entirely on the candidate', () => {
  it('checkout, 3 of 3000 requests, every one 500 on the candidate only: FAIL naming the endpoint, no promote hook', async () => {
    const T = Date.now();
    const reqs = Array.from({ length: 3000 }, (_, i) => ({ t: T + i, method: 'GET', path: i % 1000 === 500 ? `/api/checkout?cart=${i}` : `/api/items/${i % 7}`, headers: { accept: 'application/json' } }));
    const { r, run, promoted } = await rig.replay('capture', parityLines(reqs), ['name: relative', 'minSamples: 100', 'gates:', '  - { metric: latency.p95, threshold: "<= 1.5x baseline or <= baseline + 50ms" }']);
    const checkout = run.endpoints!.find((e) => e.route === 'GET /api/checkout')!;
    expect(checkout.candidate.outcomes).toMatchObject({ http_error: 3 });
    expect(checkout.baseline.outcomes).toMatchObject({ ok: 3 });
    // What passed: the run-wide guard pools the 3000 pairs (0.1 pp).
    expect(run.verdict!.gates.find((g) => g.id === 'failed-requests')?.status).not.toBe('fail');
    const g = run.verdict!.gates.find((x) => x.id === 'failed-requests@route:GET /api/checkout');
    expect(g, run.verdict!.reasons.join('\n')).toMatchObject({ status: 'fail', severity: 'fail', route: 'GET /api/checkout' });
    expect(run.verdict!.status).toBe('fail');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(promoted).toBe(false);
    // The healthy endpoints add no gate of their own (only a failing endpoint is reported).
    expect(run.verdict!.gates.filter((x) => x.id.startsWith('failed-requests@'))).toHaveLength(1);
  }, 30_000);
});
