import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../harness/run/result.ts';

/** A temporary reports folder holding each run as `<run-id>/run.json`, as parity run leaves them. */
export function reportsDir(runs: RunResult[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-trend-'));
  for (const r of runs) {
    mkdirSync(path.join(dir, r.runId));
    writeFileSync(path.join(dir, r.runId, 'run.json'), JSON.stringify(r));
  }
  return dir;
}
