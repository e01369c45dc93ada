import path from 'node:path';
import { ExitCode } from '../errors.ts';
import { checkScopes, loadPolicy } from '../gates/load.ts';
import { gatePair } from '../gates/metrics.ts';
import type { CliIO } from '../io.ts';
import { renderSummary } from '../reporters/terminal.ts';
import { mergeSegments } from '../run/merge-segments.ts';
import { collectPairs } from '../run/pairs.ts';
import { applyPolicy, runScopes } from './judge.ts';
import { renderStoredRun } from './render.ts';

export interface MergeCommandOptions {
  outDir?: string | undefined;
  /** Policy file or preset: the merged run is judged like any run (exit code by verdict), hooks fired. */
  policy?: string | undefined;
  dryRun?: boolean | undefined;
  /** Segments whose schedules started further apart give a harness warning (default 100 ms). */
  maxSkewMs: number;
  summaryTo?: string | undefined;
}

/**
 * segment runs → one merged run.json → summary on the terminal → verdict and hooks (with a policy)
 * → reports → exit code: the same steps as after `parity run`. Without a policy: 0 when every
 * segment is there and complete, 2 otherwise. Segments of another plan: exit 3, nothing written.
 */
export async function executeMerge(dirs: readonly string[], opts: MergeCommandOptions, io: CliIO): Promise<number> {
  // A policy that cannot be read stops before anything is merged.
  const policy = opts.policy ? await loadPolicy(opts.policy, io.env) : undefined;
  const merged = await mergeSegments({ dirs, outDir: opts.outDir, maxSkewMs: opts.maxSkewMs });
  const { result, runJson } = merged;
  const seg = result.segments!;
  io.stdout.write(`merged ${seg.segments.length} of ${seg.count} segments of run ${result.runId} (start skew ${seg.skewMs} ms)\n`);
  io.stdout.write(`\n${renderSummary(result, { color: Boolean(io.stdout.isTTY), verdict: !policy })}\n\n`);
  if (!result.complete) io.stdout.write(`INCOMPLETE: ${result.incompleteReason}\n`);
  io.stdout.write(`run.json: ${path.relative(process.cwd(), runJson) || runJson}\n`);
  let code: number = result.complete ? ExitCode.pass : ExitCode.inconclusive;
  if (policy) {
    checkScopes(policy, runScopes(result, runJson));
    const pairs = await collectPairs(path.join(merged.dir, result.samples.file), gatePair);
    code = await applyPolicy({ run: result, pairs, runJson, policy, dryRun: Boolean(opts.dryRun) }, io);
  }
  const reports = await renderStoredRun(runJson, { summaryTo: opts.summaryTo });
  io.stdout.write(`reports: ${reports.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  return code;
}
