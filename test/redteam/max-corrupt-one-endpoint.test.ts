import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayFindings } from '../../harness/sources/replay/fidelity.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * `--max-corrupt 1%` tolerates a share of the whole capture's entries. When the tolerated bad
 * entries all fall on one endpoint, that endpoint is replayed and judged on a fraction of its
 * traffic: here 9 of checkout's 12 requests (0.9% of the capture, under 1%) cannot be sent as
 * captured, checkout was judged on 3 pairs, with no word of it. A bad entry whose request was read (a path or body that cannot be sent as
 * captured) names its endpoint: an endpoint that lost more than --max-corrupt of its entries,
 * beyond chance, makes the run incomplete, as the capture as a whole does. (Before: the run was
 * complete and every gate passed, `checkout-latency` and both guards on checkout's 3 pairs.)
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-corrupt-endpoint-', (_candidate, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
afterAll(() => rig.close());

const capture = (badCheckout: (k: number) => boolean) => {
  const T = Date.now();
  let k = 0;
  return (
    Array.from({ length: 1000 }, (_, i) => {
      const checkout = i % 80 === 40 && k < 12;
      const bad = checkout && badCheckout(k++);
      // A raw non-ASCII path: parity's capture never records one, so the request cannot be rebuilt as sent (a bad entry).
      const path = checkout ? (bad ? `/api/checkout/é${i}` : `/api/checkout/${i}`) : `/api/items/${i % 7}`;
      return JSON.stringify({ t: T + i, requestId: `r-${i}`, route: checkout ? 'checkout' : 'items', method: 'GET', path, headers: { accept: 'application/json' } });
    }).join('\n') + '\n'
  );
};
const policy = ['name: corrupt', 'minSamples: 3', 'gates:', '  - { name: checkout-latency, metric: latency.p95, threshold: "<= 5s", route: checkout }'];

describe('parity replay --max-corrupt, every tolerated bad entry on one endpoint', () => {
  it('9 of checkout 12 entries bad (0.9% of the capture): incomplete, naming checkout; no pass, no promote hook', async () => {
    const { r, run, promoted } = await rig.replay('one-endpoint', capture((k) => k < 9), policy);
    expect(run.replay!.bad).toBe(9);
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toMatch(/checkout: 9 of its 12 capture entries \(75%\)/);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(promoted).toBe(false);
  }, 30_000);

  it('one bad entry of checkout 12 is within what chance gives 1% spread over the capture: the run is complete', async () => {
    const { run } = await rig.replay('one-bad', capture((k) => k === 0), policy);
    expect(run.replay!.bad).toBe(1);
    expect(run.complete, run.incompleteReason).toBe(true);
    expect(run.replay!.badEndpoints).toEqual({ checkout: { bad: 1, entries: 12 } });
  }, 30_000);
});

describe('replayFindings: an endpoint past --max-corrupt beyond chance', () => {
  const at = (bad: number, entries: number, endpoints: number) => replayFindings({ read: 100_000, bad, maxCorrupt: 0.01, badEndpoints: { checkout: { bad, entries } }, endpoints }).incomplete;
  it('names 9 of 12 and 30 of 1000; not 1 of 12, 1 of 1 among 1000 paths, or 12 of 1000', () => {
    expect(at(9, 12, 2)).toMatch(/^checkout: 9 of its 12 capture entries \(75%\) cannot be sent as captured: over --max-corrupt 1%/);
    expect(at(30, 1000, 50)).toMatch(/checkout: 30 of its 1000/);
    expect(at(1, 12, 2)).toBeUndefined();
    expect(at(1, 1, 1000)).toBeUndefined();
    expect(at(12, 1000, 2)).toBeUndefined();
  });
});
