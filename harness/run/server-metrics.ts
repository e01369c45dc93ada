import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../output/atomic.ts';
import type { LoadedConfig } from '../config/load.ts';
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

export async function prepareServerMetrics(loaded: LoadedConfig, warn: (line: string) => void = () => undefined): Promise<RunServerMetrics> {
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
  await writeFileAtomic(runJson, text, 'run.json');
}
