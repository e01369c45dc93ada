import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { policyOf } from '../helpers/gates.ts';
import { loadConfig } from './helpers.ts';

// Closed `rampUp` with `iterations`: VU v starts at (v−1)/vus of the ramp-up and the VUs share the
// iterations. On a fast backend the first VUs can use them all up before the last VU's turn: the
// run then never had load.vus users at once (here one user did everything), a lighter load than
// the config says. That used to pass silently, after idling out the rest of the ramp-up.
const FAST = { framing: 'named-events', tokens: 2, firstContentDelayMs: 2, interEventGapMs: 1 } as const;
const timeouts = { firstEvent: '5s', idle: '5s', total: '10s' };

describe('closed rampUp with iterations', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace();
  const run = async (load: ConfigInput['load'], workers = 1) => {
    const [b, c] = proc.fixtures;
    return runParity(await resolveConfig(loadConfig({ baselineUrl: b!.url, candidateUrl: c!.url, promptsFile: ws.promptsFile, load }), ws.configFile), { outDir: ws.out, workers });
  };
  beforeAll(async () => {
    proc = await startFixtureProcess([FAST, FAST]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('says so when the iterations ran out before the ramp-up started every VU, and nothing passes', async () => {
    // VU 2 is due 2 s in; VU 1 runs the 4 iterations (a few ms each) long before.
    const out = await run({ vus: 4, iterations: 4, rampUp: '8s', timeouts });
    const r = out.result;
    expect(r.complete).toBe(true);
    expect(r.load.iterations).toBe(4);
    const vus = new Set(out.pairs.map((p) => p.baseline.vu));
    expect(vus.size).toBeLessThan(4);
    const warning = r.harness?.warnings.find((w) => w.includes('never ran an iteration'));
    expect(warning).toContain(`${4 - vus.size} of load.vus 4 VUs never ran`);
    // The ramp-up stopped once the iterations were used up, instead of idling out its 8 s.
    expect(r.load.durationMs).toBeLessThan(6000);
    // A gate the candidate meets on these numbers is still no pass: the load was not the planned one.
    const policy = await policyOf([{ name: 'latency', metric: 'latency.p99', threshold: '<= baseline + 10s', minSamples: 1 }]);
    const verdict = evaluatePolicy(policy, r, out.pairs.map(gatePair));
    expect(verdict.status).toBe('inconclusive');
  });

  it('starts VU v at (v−1)/vus of the ramp-up when the iterations last, without the warning', async () => {
    const out = await run({ vus: 4, iterations: 400, rampUp: '1s', timeouts });
    const r = out.result;
    expect(r.load.iterations).toBe(400);
    // (Other harness warnings, event-loop delay on a busy machine, are not this test's.)
    expect((r.harness?.warnings ?? []).filter((w) => w.includes('never ran'))).toEqual([]);
    const first = new Map<number, number>();
    for (const p of out.pairs) first.set(p.baseline.vu, Math.min(first.get(p.baseline.vu) ?? Infinity, p.baseline.startedAt));
    expect([...first.keys()].sort()).toEqual([1, 2, 3, 4]);
    // A send is stamped once its connection is open (each VU opens one; the run's very first also
    // warms the request path, so VU 1's can be tens of ms later): a few ms either way, late by the
    // machine's load; what matters is that the starts were spread, not all at once.
    const t = (v: number) => first.get(v)!;
    expect(t(2) - t(1)).toBeGreaterThan(100);
    for (const v of [3, 4]) expect(t(v) - t(2)).toBeGreaterThanOrEqual((v - 2) * 250 - 30);
    expect(t(4) - t(1)).toBeLessThan(750 + 500);
  });
});
