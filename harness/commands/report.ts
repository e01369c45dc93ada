import { appendFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CliIO, Command } from '../cli.ts';
import { UsageError } from '../errors.ts';
import { REPORTER_NAMES, REPORTERS, writeReports, type ReporterName } from '../reporters/index.ts';
import { readRun } from '../run/read.ts';

export interface RenderOptions {
  formats?: readonly ReporterName[];
  /** Folder for the reports; default: beside run.json. */
  outDir?: string | undefined;
  /** Append the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY). */
  summaryTo?: string | undefined;
}

/**
 * Renders reports from a stored run.json, and nothing else: `parity run` calls this too once
 * run.json is final, so a report re-rendered later is byte-identical to the one written at run time.
 */
export async function renderStoredRun(runJson: string, opts: RenderOptions = {}): Promise<string[]> {
  const run = await readRun(runJson);
  const dir = opts.outDir ?? path.dirname(runJson);
  await mkdir(dir, { recursive: true });
  const files = await writeReports(run, dir, opts.formats);
  if (opts.summaryTo) await appendFile(opts.summaryTo, REPORTERS.md.render(run) + '\n');
  return files;
}

export function parseFormats(value: string | undefined): ReporterName[] {
  const asked = (value ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  if (asked.includes('all')) return REPORTER_NAMES;
  const unknown = asked.filter((a) => !(a in REPORTERS));
  if (unknown.length || asked.length === 0) {
    throw new UsageError(`--format ${value ?? ''}: unknown format ${unknown.map((u) => `"${u}"`).join(', ') || '(empty)'}; use ${[...REPORTER_NAMES, 'all'].join(', ')} (or several, comma-separated)`);
  }
  return asked as ReporterName[];
}

export const reportCommand: Command = {
  usage: 'report <run.json> [--format html|md|junit|all]',
  summary: 're-render the reports of a stored run from its run.json',
  options: {
    format: { type: 'string', short: 'f', default: 'all' },
    out: { type: 'string' },
    'summary-to': { type: 'string' },
  },
  async execute({ values, positionals }, io: CliIO) {
    const arg = positionals[0];
    if (!arg) throw new UsageError('parity report needs a run.json: parity report reports/<run-id>/run.json');
    const formats = parseFormats(values.format as string | undefined);
    const isDir = await stat(arg).then((s) => s.isDirectory(), () => false);
    const runJson = isDir ? path.join(arg, 'run.json') : arg;
    const files = await renderStoredRun(runJson, { formats, outDir: values.out as string | undefined, summaryTo: values['summary-to'] as string | undefined });
    for (const f of files) io.stdout.write(`${path.relative(process.cwd(), f) || f}\n`);
    return 0;
  },
};
