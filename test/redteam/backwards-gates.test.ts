import { describe, expect, it } from 'vitest';
import { betterWhen } from '../../harness/gates/direction.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair, lookupMetric, METRIC_NAMES } from '../../harness/gates/metrics.ts';
import { listPresets, loadPolicy } from '../../harness/gates/load.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * Seed 000's Stage B reads "citation presence delta <= -2 percentage points": may drop by at most
 * 2pp. Written as a gate, `citation_presence <= -2pp` passed a candidate that lost 5pp of its
 * citations and failed one that kept them all; `content_chars_per_sec.p50 <= 0.95x baseline`
 * passed a candidate 10% slower. A gate that bounds only a metric's good side is turned inside
 * out, so it is refused when the policy loads (exit 3), with the operator it needs.
 */
describe('a gate that bounds only the good side of its metric is a config error', () => {
  // 400 pairs; the candidate drops citations on 1 stream in 8 (-12.5pp) and streams 20% slower.
  const ps = pairs(
    400,
    () => ({ citations: 1, completionMs: 100, firstContentMs: 10, contentChars: 900 }),
    (i) => ({ citations: i % 8 === 0 ? 0 : 1, completionMs: 120, firstContentMs: 10, contentChars: 900 }),
  );
  const run = runOf(ps);

  const cases: [string, string, string][] = [
    ['citation_presence', '<= -2pp', '>= -2pp'],
    ['content_chars_per_sec.p50', '<= 0.95x baseline', '>= 0.95x baseline'],
    ['completion.p95', '>= 1.1x baseline', '<= 1.1x baseline'],
    ['error_rate', '>= 1%', '<= 1%'],
    ['citation_presence', '< 95%', '> 95%'],
    ['completion.p95', '≥ 1.1x baseline or ≥ baseline + 5ms', '<= 1.1x baseline or <= baseline + 5ms'],
  ];
  for (const [metric, written, fixed] of cases) {
    it(`${metric} "${written}" is refused, naming "${fixed}"`, async () => {
      const err = await policyOf([{ metric, threshold: written }]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PARITY_CONFIG_INVALID' });
      expect(String((err as Error).message)).toContain(`e.g. "${fixed}"`);
      expect(String((err as Error).message)).toContain('gates[0].threshold');
    });
  }

  it('the gates as the runbook means them fail the candidate that loses citations and speed', async () => {
    for (const [metric, , fixed] of cases.slice(0, 3)) {
      const policy = await policyOf([{ metric, threshold: fixed }], { minSamples: 50 });
      const v = evaluatePolicy(policy, run, ps.map(gatePair), new Date(0));
      expect(v.gates[0]!.status, `${metric} ${fixed}`).toBe('fail');
      expect(v.status).toBe('fail');
    }
  });

  it('a per-request SLO that counts the slow streams as good is refused too', async () => {
    await expect(policyOf([{ metric: 'goodput', threshold: '>= 90%' }], { slo: 'ttft >= 500ms' })).rejects.toThrow(/"ttft >= 500ms" counts a stream as good when it is later than the limit; write "ttft <= 500ms"/);
    await expect(policyOf([{ metric: 'goodput', threshold: '>= 90%' }], { slo: 'ttft <= 500ms and tps <= 20' })).rejects.toThrow(/write "tps >= 20"/);
    await expect(policyOf([{ metric: 'goodput', threshold: '>= 90%' }], { slo: 'ttft <= 500ms and tps >= 20' })).resolves.toBeDefined();
  });

  it('every wire metric has a direction; server-side series (in their own units) have none, and every preset loads', async () => {
    for (const name of METRIC_NAMES) expect(betterWhen(lookupMetric(name)!), name).not.toBeNull();
    expect(betterWhen(lookupMetric('server.cache_hit_ratio.min')!)).toBeNull();
    for (const preset of listPresets()) await expect(loadPolicy(preset, { DEPLOY_TOKEN: 'x', PROMETHEUS_URL: 'http://127.0.0.1:9' }), preset).resolves.toBeDefined();
  });
});
