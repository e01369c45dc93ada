import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ParityError, UsageError } from '../errors.ts';
import { readRun } from '../run/read.ts';
import type { RunResult } from '../run/result.ts';

export interface Collected {
  runs: RunResult[];
  /** run.json files that could not be read, with why; the trend lists them rather than failing the night. */
  skipped: { file: string; reason: string }[];
}

/** Reads every `<dir>/<run-id>/run.json`. A missing folder is a usage error naming it. */
export async function collectRuns(dir: string): Promise<Collected> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new UsageError(`${dir}: no such reports folder. Pass the folder parity run writes into (default: reports/).`);
  }
  const runs: RunResult[] = [];
  const skipped: Collected['skipped'] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, e.name, 'run.json');
    // A folder without run.json (screenshots/, a copied artifact) is not a run.
    if (!existsSync(file)) continue;
    try {
      runs.push(await readRun(file));
    } catch (err) {
      skipped.push({ file, reason: err instanceof ParityError ? `${err.code}: ${err.message.split('\n')[0]}` : String(err) });
    }
  }
  return { runs, skipped };
}
