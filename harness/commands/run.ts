import { UsageError } from '../errors.ts';
import { executeRun, type RunCommandOptions } from '../pipeline/run.ts';
import type { Command, OptionHelp } from './command.ts';

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

/** --help text of RUN_OPTIONS (shared by run, demo and serve-fixtures). */
export const RUN_HELP: Record<keyof typeof RUN_OPTIONS, OptionHelp> = {
  out: { description: 'folder the run writes <run-id>/ into (run.json, samples, reports)', default: "the config's outDir (reports)", example: '--out /tmp/parity-runs' },
  'run-id': { description: 'name of the run folder and prefix of every request id', default: 'a timestamp plus random suffix', example: '--run-id "pr-$PR"' },
  quiet: { description: 'no live progress line', example: '--quiet' },
  workers: { description: 'worker threads sharing the load (1 to 64)', default: '1', example: '--workers 2' },
  'summary-to': { description: 'append the Markdown summary to this file', default: 'none', example: '--summary-to "$GITHUB_STEP_SUMMARY"' },
  policy: { description: 'policy file or preset name judged at the end; the exit code follows its verdict, its hooks fire', default: 'none: no verdict, exit 0 when the run completed', example: '--policy seed-000-stage-b' },
  'dry-run': { description: "print the hooks the verdict would fire and record them as dry runs; run none", example: '--dry-run' },
  'check-profile': { description: "send one stream per target and show what each target's stream profile read (content, citations, terminal); no load, no verdict; exit 0, or 3 with PARITY_PROFILE_MISMATCH", example: '--check-profile' },
};

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
  help: RUN_HELP,
  examples: ['parity run scenarios/python-to-node.config.yaml --policy seed-000-stage-b', 'NODE_URL=https://node-canary:3000 parity run my.config.ts --policy my-policy.yaml --quiet'],
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity run needs a config file: parity run <config>');
    return executeRun(file, runOptionsFrom(values), io);
  },
};
