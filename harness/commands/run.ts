import { UsageError } from '../errors.ts';
import { parseStartAt, resolveSegment, SegmentSpecError } from '../load/segment.ts';
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
  segment: { type: 'string' },
  segments: { type: 'string' },
  'start-at': { type: 'string' },
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
  segment: { description: 'run segment K of N of the plan (1-based), or "auto" to read it from the engine that started this process (JOB_COMPLETION_INDEX, CI_NODE_INDEX/CI_NODE_TOTAL, PARITY_SEGMENT_INDEX/PARITY_SEGMENT_COUNT)', default: 'the whole plan', example: '--segment 2/4' },
  segments: { description: 'N, with --segment auto when the engine does not say it', default: 'from the environment', example: '--segment auto --segments 4' },
  'start-at': { description: 'wall-clock moment every segment starts its schedule at (ISO 8601)', default: 'now', example: '--start-at 2026-12-01T02:00:00Z' },
  'check-profile': { description: "send one stream per target and show what each target's stream profile read (content, citations, terminal); no load, no verdict; exit 0, or 3 with PARITY_PROFILE_MISMATCH", example: '--check-profile' },
};

export function runOptionsFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): RunCommandOptions {
  return {
    segment: parseSegment(values, env),
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

/** `--segment K/N | auto [--segments N] [--start-at ISO]`; see load/segment.ts. */
function parseSegment(values: Record<string, unknown>, env: NodeJS.ProcessEnv): RunCommandOptions['segment'] {
  const flag = values.segment as string | undefined;
  const startAt = values['start-at'] as string | undefined;
  try {
    if (flag === undefined) {
      if (values.segments !== undefined || startAt !== undefined) throw new SegmentSpecError('--segments and --start-at go with --segment K/N or --segment auto');
      return undefined;
    }
    // A segment holds 1/N of the plan's evidence: judging it alone could promote on part of a run.
    if (values.policy !== undefined) throw new SegmentSpecError('--policy judges a whole run, and a segment is part of one: run the segments without it and judge the merged run (parity merge <run-dir> --policy p)');
    return { ...resolveSegment(flag, values.segments as string | undefined, env), startAtMs: startAt === undefined ? undefined : parseStartAt(startAt) };
  } catch (err) {
    if (err instanceof SegmentSpecError) throw new UsageError(err.message);
    throw err;
  }
}

function parseWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers takes a whole number of worker threads from 1 to 64, got "${v}"`);
  return n;
}

export const runCommand: Command = {
  usage: 'run <config> [--policy p] [--dry-run] [--workers n] [--segment K/N|auto] [...]',
  summary: "run the config's scenarios against baseline and candidate, paired",
  options: RUN_OPTIONS,
  help: RUN_HELP,
  examples: ['parity run scenarios/python-to-node.config.yaml --policy seed-000-stage-b', 'NODE_URL=https://node-canary:3000 parity run my.config.ts --policy my-policy.yaml --quiet'],
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity run needs a config file: parity run <config>');
    return executeRun(file, runOptionsFrom(values, io.env), io);
  },
};
