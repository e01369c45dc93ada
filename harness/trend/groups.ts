import path from 'node:path';
import type { RunResult } from '../run/result.ts';
import { buildTrend, type Trend, type TrendOptions } from './trend.ts';

/** One history: the runs of one config name under one policy, judged on their own. */
export interface TrendGroup extends Trend {
  name: string;
  policy: string | null;
  /** Config files the group's runs came from, as each run recorded it. */
  configFiles: string[];
}

export interface TrendFilter {
  /** Only runs whose config `name` is this. */
  name?: string | undefined;
  /** Only runs of this config file (path as given to parity run, or its base name). */
  config?: string | undefined;
}

export interface Grouped {
  groups: TrendGroup[];
  /** Runs left out, with why: contract-only, a copy of a run already counted, filtered out. */
  excluded: { runId: string; reason: string }[];
}

/**
 * Splits stored runs into histories a regression check can trust: one per config name and
 * policy (another config's or another policy's runs are not this one's history), each run counted
 * once (a copied run folder has the same run id), runs without stream summaries (contract-only)
 * left out since they have no trend metrics. Pure.
 */
export function groupRuns(runs: readonly RunResult[], opts: TrendOptions, filter: TrendFilter = {}): Grouped {
  const excluded: Grouped['excluded'] = [];
  const seen = new Set<string>();
  const byKey = new Map<string, RunResult[]>();
  for (const run of runs) {
    if (seen.has(run.runId)) {
      excluded.push({ runId: run.runId, reason: 'duplicate run id (a copied run folder): counted once' });
      continue;
    }
    seen.add(run.runId);
    if (run.summaries.length === 0) {
      excluded.push({ runId: run.runId, reason: 'contract-only run: no stream metrics to trend' });
      continue;
    }
    if (filter.name !== undefined && run.name !== filter.name) {
      excluded.push({ runId: run.runId, reason: `config name "${run.name}" is not --name "${filter.name}"` });
      continue;
    }
    if (filter.config !== undefined && !sameConfig(run.configFile, filter.config)) {
      excluded.push({ runId: run.runId, reason: `config file ${run.configFile} is not --config ${filter.config}` });
      continue;
    }
    const key = JSON.stringify([run.name, run.verdict?.policy ?? null]);
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  const groups = [...byKey.entries()].map(([key, rs]): TrendGroup => {
    const [name, policy] = JSON.parse(key) as [string, string | null];
    return { name, policy, configFiles: [...new Set(rs.map((r) => r.configFile))], ...buildTrend(rs, opts) };
  });
  groups.sort((a, b) => a.name.localeCompare(b.name) || (a.policy ?? '').localeCompare(b.policy ?? ''));
  return { groups, excluded };
}

function sameConfig(recorded: string, asked: string): boolean {
  return recorded === asked || path.resolve(recorded) === path.resolve(asked) || path.basename(recorded) === asked;
}

/** X-axis labels that tell runs apart: date and time (UTC), with the run id where two share a minute. */
export function runLabels(rows: readonly { runId: string; date: string }[]): string[] {
  const short = rows.map((r) => `${r.date.slice(5, 10)} ${r.date.slice(11, 16)}`);
  const counts = new Map<string, number>();
  for (const s of short) counts.set(s, (counts.get(s) ?? 0) + 1);
  return short.map((s, i) => ((counts.get(s) ?? 0) > 1 ? rows[i]!.runId.slice(-12) : s));
}
