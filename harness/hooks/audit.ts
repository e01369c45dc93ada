import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { outputError, outputFs } from '../output/fs.ts';
import type { HookResult, Verdict } from '../run/result.ts';

/** The audit log sits at the output root, beside the run folders: `<outDir>/audit.ndjson`. */
export function auditFileFor(runJson: string): string {
  return path.join(path.dirname(path.dirname(path.resolve(runJson))), 'audit.ndjson');
}

export interface AuditRun {
  runId: string;
  runJson: string;
  policy: string;
  verdict: Verdict;
  dryRun: boolean;
}

/**
 * The audit log is append-only and written **before** each action: the verdict line before any
 * hook, a `hook-start` line before each hook runs, a `hook` line with its result after it (or a
 * `hook-abandoned` line when parity is stopped while it runs). A promotion that ran therefore
 * always has at least its `hook-start` line, whatever happens to parity meanwhile.
 */
export async function auditVerdict(file: string, e: AuditRun, now = new Date()): Promise<void> {
  const failed = e.verdict.gates.filter((g) => g.status === 'fail' && g.severity === 'fail').map((g) => g.id);
  await append(file, [{ type: 'verdict', at: now.toISOString(), runId: e.runId, runJson: e.runJson, policy: e.policy, verdict: e.verdict.status, failedGates: failed, reasons: e.verdict.reasons, dryRun: e.dryRun }]);
}

export async function auditHook(file: string, type: 'hook-start' | 'hook', e: AuditRun, hook: HookResult, now = new Date()): Promise<void> {
  await append(file, [{ type, at: now.toISOString(), runId: e.runId, policy: e.policy, verdict: e.verdict.status, hook }]);
}

/** Synchronous, for the moment parity exits while a hook runs (nothing asynchronous completes then). */
export function auditHookAbandonedSync(file: string, e: AuditRun, hook: HookResult, now = new Date()): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, JSON.stringify({ type: 'hook-abandoned', at: now.toISOString(), runId: e.runId, policy: e.policy, verdict: e.verdict.status, hook }) + '\n');
  } catch (err) {
    throw outputError(err, file, 'the audit log');
  }
}

/** The verdict and its hooks' results in one go (kept for callers that fire hooks themselves). */
export async function appendAudit(file: string, entry: AuditRun & { hooks: HookResult[] }, now = new Date()): Promise<void> {
  await auditVerdict(file, entry, now);
  for (const h of entry.hooks) await auditHook(file, 'hook', entry, h, now);
}

async function append(file: string, lines: object[]): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await outputFs.appendFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  } catch (err) {
    throw outputError(err, file, 'the audit log');
  }
}
