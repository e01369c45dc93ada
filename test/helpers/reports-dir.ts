import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** Every file under a folder, as text (latin1: any byte reads), by path: what a leak check searches. */
export function allText(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const f = path.join(d, e);
      if (statSync(f).isDirectory()) walk(f);
      else out.set(f, readFileSync(f, 'latin1'));
    }
  };
  walk(dir);
  return out;
}
