import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HookResult, Verdict } from '../run/result.ts';

/** The audit log sits at the output root, beside the run folders: `<outDir>/audit.ndjson`. */
export function auditFileFor(runJson: string): string {
  return path.join(path.dirname(path.dirname(path.resolve(runJson))), 'audit.ndjson');
}

/**
 * Appends one line for the verdict and one per hook fired. Append-only: every evaluation and
 * every promote or rollback attempt stays on record, including dry runs (marked as such).
 */
export async function appendAudit(file: string, entry: { runId: string; runJson: string; policy: string; verdict: Verdict; hooks: HookResult[]; dryRun: boolean }, now = new Date()): Promise<void> {
  const at = now.toISOString();
  const failed = entry.verdict.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').map((g) => g.id);
  const lines = [
    { type: 'verdict', at, runId: entry.runId, runJson: entry.runJson, policy: entry.policy, verdict: entry.verdict.status, failedGates: failed, reasons: entry.verdict.reasons, dryRun: entry.dryRun },
    ...entry.hooks.map((h) => ({ type: 'hook', at, runId: entry.runId, policy: entry.policy, verdict: entry.verdict.status, hook: h })),
  ];
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}
