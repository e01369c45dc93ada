import { UsageError } from '../errors.ts';
import { parseStartAt, resolveSegment, SegmentSpecError } from '../load/segment.ts';
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
  segment: { type: 'string' },
  segments: { type: 'string' },
  'start-at': { type: 'string' },
} as const;

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
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity run needs a config file: parity run <config>');
    return executeRun(file, runOptionsFrom(values, io.env), io);
  },
};
