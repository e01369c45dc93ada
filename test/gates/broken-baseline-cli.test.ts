import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { captureIO } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * End to end over real sockets: a baseline answering 503 to 20% of requests and a candidate that
 * answers every one, slowly. The candidate failed less, so the failed-requests guard passes; the
 * baseline's latency.p95 is "failed" (10⁹ ms), so candidate/baseline ≈ 0 passed `<= 1.5x baseline`
 * and the run passed (verdict PASS before this fix). There is no reference: inconclusive, exit 2.
 */
describe('parity run: a broken baseline does not pass a latency ratio gate', () => {
  let proc: FixtureProcess;
  let base: FixtureHandle;
  let cand: FixtureHandle;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);

  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 1, seed: 1, faults: { httpError: 0.2 } },
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 80, interEventGapMs: 1, seed: 2 },
    ]);
    [base, cand] = proc.fixtures as [FixtureHandle, FixtureHandle];
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('latency.p95 <= 1.5x baseline: INCONCLUSIVE (exit 2), the reason names the gate and the baseline p95', async () => {
    const config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: base.url, candidateUrl: cand.url, promptsFile: ws.promptsFile, load: { vus: 5, iterations: 60 } })));
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, 'minSamples: 20\ngates:\n  - { name: p95-vs-baseline, metric: latency.p95, threshold: "<= 1.5x baseline" }\n');
    const c = captureIO();
    const code = await main(['run', config, '--policy', policy, '--out', ws.out, '--quiet'], c.io);
    expect(c.out + c.err).toMatch(/verdict: INCONCLUSIVE/);
    expect(c.out).toMatch(/p95-vs-baseline: no reference: the baseline's p95 fell on failed requests \(\d+ of 60 failed/);
    expect(code, c.err).toBe(2);
  });
});
