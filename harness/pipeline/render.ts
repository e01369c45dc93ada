import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPORTERS, writeReports, type ReporterName } from '../reporters/index.ts';
import { readRun } from '../run/read.ts';
import { recoverRun } from '../run/recover.ts';

export interface RenderOptions {
  formats?: readonly ReporterName[];
  /** Folder for the reports; default: beside run.json. */
  outDir?: string | undefined;
  /** Append the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY). */
  summaryTo?: string | undefined;
}

/**
 * Renders reports from a stored run.json, and nothing else: every way in (run, gate, report) calls
 * this once run.json is final, so a report re-rendered later is byte-identical to the one written
 * at run time.
 */
export async function renderStoredRun(runJson: string, opts: RenderOptions = {}): Promise<string[]> {
  // A run killed before it finished is brought up to what its spool holds first (run/recover.ts).
  await recoverRun(runJson);
  const run = await readRun(runJson);
  const dir = opts.outDir ?? path.dirname(runJson);
  await mkdir(dir, { recursive: true });
  const files = await writeReports(run, dir, opts.formats);
  if (opts.summaryTo) await appendFile(opts.summaryTo, REPORTERS.md.render(run) + '\n');
  return files;
}
