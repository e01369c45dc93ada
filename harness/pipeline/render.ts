import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPORTERS, writeReports, type ReporterName } from '../reporters/index.ts';
import { readRun } from '../run/read.ts';
import { recoverRun } from '../run/recover.ts';
import { outputFailed } from '../output/fs.ts';
import { ParityError } from '../errors.ts';
import { reportError, type CliIO } from '../io.ts';

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
  let files: string[];
  try {
    await mkdir(dir, { recursive: true });
    files = await writeReports(run, dir, opts.formats);
  } catch (err) {
    throw outputFailed(err, 'the reports in', dir, 'give --out a writable folder');
  }
  if (opts.summaryTo) {
    const to = opts.summaryTo;
    await appendFile(to, REPORTERS.md.render(run) + '\n').catch((err: unknown) => {
      throw outputFailed(err, 'the summary to', to, 'give --summary-to a writable file');
    });
  }
  return files;
}

/**
 * The reports of a run whose verdict is already decided and whose hooks already fired: a report
 * that cannot be written is printed as a coded error, and the verdict's exit code stands (a CI
 * job must not read "harness error" for a run that promoted or rolled back). Resolves to the
 * files written, or undefined when writing failed.
 */
export async function renderAfterVerdict(runJson: string, opts: RenderOptions, io: CliIO): Promise<string[] | undefined> {
  try {
    return await renderStoredRun(runJson, opts);
  } catch (err) {
    if (!(err instanceof ParityError)) throw err;
    reportError(err, io);
    return undefined;
  }
}
