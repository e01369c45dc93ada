import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { renderStoredRun } from '../pipeline/render.ts';
import { REPORTER_NAMES, REPORTERS, type ReporterName } from '../reporters/index.ts';
import type { CliIO, Command } from './command.ts';
import { displayPath } from '../paths.ts';

export function parseFormats(value: string | undefined): ReporterName[] {
  const asked = (value ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
  if (asked.includes('all')) return REPORTER_NAMES;
  const unknown = asked.filter((a) => !Object.hasOwn(REPORTERS, a));
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
  help: {
    format: { description: 'which reports: md, html, junit, all, or a comma-separated list', example: '--format md,junit' },
    out: { description: 'folder to write the reports into', default: 'beside run.json', example: '--out /tmp/r' },
    'summary-to': { description: 'append the Markdown summary to this file', default: 'none', example: '--summary-to "$GITHUB_STEP_SUMMARY"' },
  },
  examples: ['parity report reports/<run-id>/run.json', 'parity report reports/<run-id> --format md --summary-to "$GITHUB_STEP_SUMMARY"'],
  async execute({ values, positionals }, io: CliIO) {
    const arg = positionals[0];
    if (!arg) throw new UsageError('parity report needs a run.json: parity report reports/<run-id>/run.json');
    const formats = parseFormats(values.format as string | undefined);
    const isDir = await stat(arg).then((s) => s.isDirectory(), () => false);
    const runJson = isDir ? path.join(arg, 'run.json') : arg;
    const files = await renderStoredRun(runJson, { formats, outDir: values.out as string | undefined, summaryTo: values['summary-to'] as string | undefined });
    for (const f of files) io.stdout.write(`${displayPath(f)}\n`);
    return 0;
  },
};
