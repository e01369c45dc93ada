import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityLines } from '../helpers/replay.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * A replay whose credentials (targets[].headers) cover one API and not another: both backends
 * refuse the admin endpoint (401) on every request, 30% of the capture. The run-wide baseline
 * failed 30%, not most, so no gate was without reference, and the replay PASSED and fired onPass
 * though the candidate's admin endpoint was never compared with anything (here it answers 500 to
 * every authorized request). A scenario whose baseline was refused most of its requests holds the
 * verdict (small-scenario-no-reference.test.ts); a replay's endpoint refused by its baseline
 * (401/403) at the policy's confidence now does too. Other shared failures (real traffic's 404s on
 * both backends) stay parity.
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-refused-', (candidate, req, res) => {
    if (req.url!.startsWith('/admin')) {
      if (req.headers['x-admin'] !== 'yes') res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"admin only"}');
      else res.writeHead(candidate ? 500 : 200, { 'content-type': 'application/json' }).end(candidate ? '{"error":"boom"}' : '{"ok":true}');
    } else if (req.url!.startsWith('/favicon')) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
afterAll(() => rig.close());

const replay = (name: string, paths: (i: number) => string) => {
  const T = Date.now();
  const capture = parityLines(Array.from({ length: 1000 }, (_, i) => ({ t: T + i, method: 'GET', path: paths(i), headers: { accept: 'application/json' } })));
  const policy = ['name: relative', 'minSamples: 100', 'gates:', '  - { metric: error_rate, threshold: "<= +5pp" }', '  - { metric: latency.p50, threshold: "<= 1.5x baseline or <= baseline + 50ms" }'];
  return rig.replay(name, capture, policy, ['--max-in-flight', '8']);
};

describe('parity replay: an endpoint its baseline refused (401) on every request', () => {
  it('30% of the capture refused on both sides: the endpoint holds the verdict (no reference), no promote hook', async () => {
    const { r, run, promoted } = await replay('refused', (i) => (i % 10 < 3 ? `/admin/stats?i=${i}` : `/api/items/${i % 7}`));
    const admin = run.endpoints!.find((e) => e.route === 'GET /admin/stats')!;
    expect(admin.baseline.outcomes).toMatchObject({ http_error: 300 });
    const g = run.verdict!.gates.find((x) => x.id === 'failed-requests@route:GET /admin/stats');
    expect(g, run.verdict!.reasons.join('\n')).toMatchObject({ status: 'inconclusive', severity: 'fail' });
    expect(g!.reason).toContain('no reference: the baseline failed 300 of 300 requests here (http_error 401 ×300)');
    expect(run.verdict!.status).toBe('inconclusive');
    expect(r.code, r.stdout).toBe(2);
    expect(promoted).toBe(false);
  }, 30_000);

  it('an endpoint answered 404 by both backends alike (real traffic) holds nothing back', async () => {
    const { run } = await replay('not-found', (i) => (i % 10 < 3 ? '/favicon.ico' : `/api/items/${i % 7}`));
    expect(run.endpoints!.find((e) => e.route === 'GET /favicon.ico')!.baseline.outcomes).toMatchObject({ http_error: 300 });
    expect(run.verdict!.gates.filter((x) => x.id.startsWith('failed-requests@'))).toEqual([]);
  }, 30_000);
});
