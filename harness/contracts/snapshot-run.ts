import { pathToFileURL } from 'node:url';
import { redactedConfig, type LoadedConfig } from '../config/load.ts';
import { RUN_SCHEMA_VERSION, type ContractStepSummary, type RunResult } from '../run/result.ts';
import type { LiveTarget } from '../targets/target.ts';
import { toolInfo } from '../version.ts';

/**
 * The run.json of `parity snapshot compare`: the stored snapshots stand as the baseline, the
 * compared target as the candidate, the contract results as in any run. It has no load phase and
 * no samples, so the same reporters, gates and `parity report` read it like any contract-only run.
 */
export interface SnapshotRunInput {
  loaded: LoadedConfig;
  runId: string;
  target: LiveTarget;
  snapshots: string;
  startedAt: Date;
  durationMs: number;
  contracts: ContractStepSummary[];
  /** Set when the compare did not finish (interrupted). */
  incompleteReason?: string | undefined;
}

export function snapshotRunResult(i: SnapshotRunInput): RunResult {
  const r: RunResult = {
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: toolInfo(),
    runId: i.runId,
    name: `${i.loaded.config.name} (snapshot compare)`,
    configFile: i.loaded.file,
    startedAt: i.startedAt.toISOString(),
    endedAt: new Date(i.startedAt.getTime() + i.durationMs).toISOString(),
    complete: i.incompleteReason === undefined,
    config: redactedConfig(i.loaded),
    targets: [
      { name: 'snapshot', role: 'baseline', baseUrl: pathToFileURL(i.snapshots).href },
      { name: i.target.config.name, role: 'candidate', baseUrl: i.target.config.baseUrl },
    ],
    preflight: [],
    load: { model: 'snapshot-compare', plannedIterations: null, plannedDurationMs: null, iterations: 0, abandoned: 0, durationMs: Math.round(i.durationMs) },
    summaries: [],
    samples: { file: 'samples.ndjson', pairs: 0 },
    contracts: i.contracts,
  };
  if (i.incompleteReason !== undefined) r.incompleteReason = i.incompleteReason;
  return r;
}
