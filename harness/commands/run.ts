import { UsageError } from '../errors.ts';
import { executeRun, type RunCommandOptions } from '../pipeline/run.ts';
import type { Command } from './command.ts';


export const RUN_OPTIONS = {
  out: { type: 'string' },
  'run-id': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  workers: { type: 'string' },
  'summary-to': { type: 'string' },
  policy: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'check-profile': { type: 'boolean', default: false },
} as const;

export function runOptionsFrom(values: Record<string, unknown>): RunCommandOptions {
  return {
    outDir: values.out as string | undefined,
    runId: values['run-id'] as string | undefined,
    quiet: values.quiet as boolean | undefined,
    workers: parseWorkers(values.workers as string | undefined),
    summaryTo: values['summary-to'] as string | undefined,
    policy: values.policy as string | undefined,
    dryRun: values['dry-run'] as boolean | undefined,
    checkProfile: values['check-profile'] as boolean | undefined,
  };
}

function parseWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers takes a whole number of worker threads from 1 to 64, got "${v}"`);
  return n;
}

export const runCommand: Command = {
  usage: 'run <config> [--policy p] [--dry-run] [--workers n] [...]',
  summary: "run the config's scenarios against baseline and candidate, paired",
  options: RUN_OPTIONS,
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity run needs a config file: parity run <config>');
    return executeRun(file, runOptionsFrom(values), io);
  },
};
