import { rename, readFile, writeFile } from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import { planServerMetrics } from '../metrics/server/plan.ts';
import { checkServerMetricQueries } from '../metrics/server/preflight.ts';
import type { ServerMetricsResult } from '../metrics/server/result.ts';
import { startServerMetrics, type ServerMetricsSession } from '../metrics/server/session.ts';
import type { RunOutput } from './engine.ts';

/**
 * The server-side metrics of a run, as the run command wires them (a few lines, so the same
 * calls can move with the orchestration): `prepare` checks every PromQL query before any traffic
 * (a ConfigError for one the server rejects), `start` opens the window when the load starts,
 * `finish` closes it and stores the series in run.json (`serverMetrics`), where gates and
 * reports read them, also offline.
 */
export interface RunServerMetrics {
  start(): void;
  finish(out: RunOutput): Promise<ServerMetricsResult | undefined>;
}

export async function prepareServerMetrics(loaded: LoadedConfig, warn: (line: string) => void = () => undefined, policy?: LoadedPolicy): Promise<RunServerMetrics> {
  if (policy) checkGateSeries(policy, loaded);
  for (const w of await checkServerMetricQueries(loaded)) warn(`parity: ${w}\n`);
  let session: ServerMetricsSession | null = null;
  return {
    start() {
      session ??= startServerMetrics(loaded);
    },
    async finish(out) {
      if (!session) return undefined;
      const result = await session.stop();
      session = null;
      out.result.serverMetrics = result;
      await storeInRunJson(out.runJson, result, loaded.secrets);
      return result;
    },
  };
}

/** Adds `serverMetrics` to run.json, keeping every other section; written to a temp file and renamed (never half a file). */
async function storeInRunJson(runJson: string, result: ServerMetricsResult, secrets: readonly string[]): Promise<void> {
  const doc = JSON.parse(await readFile(runJson, 'utf8')) as Record<string, unknown>;
  doc.serverMetrics = result;
  let text = JSON.stringify(doc, null, 2) + '\n';
  for (const s of secrets) text = text.split(s).join('[redacted]');
  const tmp = `${runJson}.server-metrics.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, runJson);
}

/**
 * A gate on `server.<series>` the config never reads could only ever be inconclusive: a config
 * error before traffic, naming the series to add (a preset's header shows how to map it).
 */
export function checkGateSeries(policy: LoadedPolicy, loaded: LoadedConfig): void {
  const names = new Set((planServerMetrics(loaded)?.series ?? []).map((s) => s.name));
  const byFile = new Map<string, ConfigIssue[]>();
  for (const g of policy.gates) {
    if (g.metric.kind !== 'server' || names.has(g.metric.series)) continue;
    const issue = {
      path: `${g.at.path}.metric`,
      message: `gate "${g.id}" reads ${g.metric.name}, but ${loaded.file} has no server-side series "${g.metric.series}"; add { name: ${g.metric.series}, prometheus | scrape | json: ... } to its metrics.series (its series: ${[...names].join(', ') || 'none'})`,
    };
    byFile.set(g.at.file, [...(byFile.get(g.at.file) ?? []), issue]);
  }
  const first = [...byFile.entries()][0];
  if (first) throw new ConfigError(first[0], first[1]);
}
