import type { LoadedConfig } from '../../config/load.ts';
import { fillTemplate } from '../../config/server-metrics.ts';
import { ConfigError, type ConfigIssue } from '../../errors.ts';
import { planServerMetrics } from './plan.ts';
import { dryEvaluate, QueryRejected, SourceUnreachable } from './prometheus.ts';

/**
 * Before any load: every PromQL query is evaluated once by its Prometheus server. A query the
 * server rejects (bad syntax, an unknown function) is a config error naming the field, so the
 * run stops before traffic instead of ending with a gate that can never be judged. A server that
 * cannot be reached is not a config error: the run goes on and the series is recorded as
 * "source unreachable" (its gates come out inconclusive). Returns those warnings.
 */
export async function checkServerMetricQueries(loaded: LoadedConfig): Promise<string[]> {
  const plan = planServerMetrics(loaded);
  if (!plan) return [];
  const issues: ConfigIssue[] = [];
  const warnings = new Set<string>();
  const seen = new Set<string>();
  for (const s of plan.series) {
    if (s.source !== 'prometheus') continue;
    const query = fillTemplate(s.query, { window: '1m' });
    const key = `${s.endpoint}\n${query}\n${s.at}`;
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      await dryEvaluate(s.endpoint, query, plan.timeoutMs);
    } catch (err) {
      if (err instanceof QueryRejected) issues.push({ path: s.at, message: `Prometheus at ${s.endpoint} rejected the query for target "${s.target}" (${query}): ${err.message}; fix the PromQL` });
      else if (err instanceof SourceUnreachable) warnings.add(`server metrics: Prometheus unreachable at preflight (${err.message}); its series will be inconclusive unless it comes back`);
      else throw err;
    }
  }
  if (issues.length) throw new ConfigError(loaded.file, issues);
  return [...warnings];
}
