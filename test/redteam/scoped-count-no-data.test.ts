import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

/**
 * A stream count gate (`http_5xx_count`, `error_count`) scoped to a scenario, route or step with
 * no pairs said "no data: the run has no paired streams" over a run of 200 pairs: a reader of the
 * inconclusive verdict looked for a broken run instead of an empty scope. It says which now.
 */
describe('a count gate whose scope has no pairs', () => {
  it('says its scope has none, not that the run has none', async () => {
    const ps = pairs(200, () => ({}), () => ({}), 'chat');
    const v = evaluatePolicy(await policyOf([{ metric: 'http_5xx_count', threshold: '<= 0', route: 'GET /api/none' }], { minSamples: 10 }), runOf(ps), ps.map(gatePair), new Date(0));
    expect(v.gates[0]!.status).toBe('inconclusive');
    expect(v.gates[0]!.reason).toMatch(/no data: no paired streams in this gate's scope/);
    const whole = evaluatePolicy(await policyOf([{ metric: 'http_5xx_count', threshold: '<= 0' }], { minSamples: 10 }), runOf([]), [], new Date(0));
    expect(whole.gates[0]!.reason).toMatch(/no data: the run has no paired streams/);
  });
});
