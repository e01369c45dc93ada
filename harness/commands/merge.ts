import { parseDuration } from '../config/duration.ts';
import { UsageError } from '../errors.ts';
import { executeMerge } from '../pipeline/merge.ts';
import type { Command } from './command.ts';

/** Default limit on how far apart segments may start their schedules. */
const MAX_SKEW_MS = 100;

export const mergeCommand: Command = {
  usage: 'merge <run-dir>... [--policy p] [--out dir] [--max-skew 100ms]',
  summary: 'merge execution segment runs into one run, then verdict, hooks and reports',
  options: {
    policy: { type: 'string' },
    out: { type: 'string' },
    'max-skew': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'summary-to': { type: 'string' },
  },
  help: {
    policy: { description: 'policy judged on the merged run; its hooks fire (a segment is never judged alone)', default: 'none: no verdict', example: '--policy seed-004-f3' },
    out: { description: 'folder of the merged run', default: 'the segments\' run folder', example: '--out reports/nightly-merged' },
    'max-skew': { description: 'segments whose schedule starts differ by more than this get a harness warning (no pass)', default: '100ms', example: '--max-skew 250ms' },
    'dry-run': { description: 'print the hooks the verdict would fire; run none', example: '--dry-run' },
    'summary-to': { description: 'append the Markdown summary to this file', default: 'none', example: '--summary-to "$GITHUB_STEP_SUMMARY"' },
  },
  examples: ['parity merge reports/nightly-2026-12-01/segments/* --policy seed-004-f3'],
  async execute({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('parity merge needs the segment run folders: parity merge reports/<run-id>/segments/*');
    const skew = values['max-skew'] as string | undefined;
    let maxSkewMs = MAX_SKEW_MS;
    if (skew !== undefined) {
      try {
        maxSkewMs = parseDuration(/^\d+(\.\d+)?$/.test(skew) ? Number(skew) : skew);
      } catch (err) {
        throw new UsageError(`--max-skew: ${(err as Error).message}`);
      }
    }
    return executeMerge(
      positionals,
      { outDir: values.out as string | undefined, policy: values.policy as string | undefined, dryRun: values['dry-run'] as boolean, maxSkewMs, summaryTo: values['summary-to'] as string | undefined },
      io,
    );
  },
};
