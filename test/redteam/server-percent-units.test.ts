import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import type { ServerSeriesResult } from '../../harness/metrics/server/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const serie = (role: 'baseline' | 'candidate', values: number[]): ServerSeriesResult => ({
  name: 'cache_hit',
  target: role === 'baseline' ? 'base' : 'cand',
  role,
  source: 'json',
  query: 'cache.hit @ http://127.0.0.1:1/stats',
  kind: 'gauge',
  value: values.at(-1)!,
  points: values.map((v, i) => [Date.UTC(2026, 0, 1, 12, 0, i), v]),
  stats: { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, last: values.at(-1)!, p95: Math.max(...values), growth: values.at(-1)! - values[0]!, slope: 0 },
});

/**
 * `%` and `pp` on a server-side series read it as a fraction (1% = 0.01). A series its source
 * reports in percent (a cache hit ratio of 45 where the baseline has 92) then passed
 * `server.cache_hit.min >= 90%` (45 >= 0.9): the candidate's cache was broken and the gate green.
 * A side beyond ±1 under a % or pp limit is not a fraction: the gate is not judged, and says
 * what to write.
 */
describe('a % limit on a server series reported in percent is not judged as a fraction', () => {
  const ps = pairs(50, () => ({}), () => ({}));
  const judge = async (threshold: string, series: ServerSeriesResult[], extra = {}) =>
    evaluatePolicy(await policyOf([{ metric: 'server.cache_hit.min', threshold }], extra), runOf(ps, { serverMetrics: { startedAt: '', endedAt: '', series } }), ps.map(gatePair), new Date(0)).gates[0]!;
  const percent = [serie('baseline', [93, 92, 94]), serie('candidate', [46, 45, 47])];
  const fraction = [serie('baseline', [0.93, 0.92, 0.94]), serie('candidate', [0.46, 0.45, 0.47])];

  it('>= 90% on a percent series: inconclusive (not a pass), naming the plain limit', async () => {
    const g = await judge('>= 90%', percent);
    expect(g.status).toBe('inconclusive');
    expect(g.reason).toContain('the candidate reads 45, not a fraction between 0 and 1, but ">= 90%" is written in % or pp (1% = 0.01): if the series is in percent, write the limit in its units (">= 90")');
    expect((await judge('>= 90%', percent, { insufficient: 'fail' })).status).toBe('fail');
    expect((await judge('>= -2pp', percent)).status).toBe('inconclusive');
  });

  it('written in the series\' units, or on a fraction series, the broken cache fails', async () => {
    expect((await judge('>= 90', percent)).status).toBe('fail');
    expect((await judge('>= 90%', fraction)).status).toBe('fail');
    expect((await judge('>= -2pp', fraction)).status).toBe('fail');
    expect((await judge('>= 40%', fraction)).status).toBe('pass');
  });
});
