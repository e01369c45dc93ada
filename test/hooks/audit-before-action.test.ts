import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HookResult, RunResult } from '../../harness/run/result.ts';
import { pairs, runOf, tempDir } from '../helpers/gates.ts';

/**
 * Issue 11, point 2: the audit log records each hook's start before it runs and its end after; a
 * signal during hooks waits for the running hook or records it abandoned; run.json and the audit
 * log agree in every interleaving: no signal, one SIGTERM, two SIGTERMs, SIGKILL.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const HOOK_MS = 1500;

function storedPassingRun() {
  const dir = tempDir();
  const runDir = path.join(dir, 'reports', 'r1');
  mkdirSync(runDir, { recursive: true });
  const ps = pairs(40, (i) => ({ completionMs: 100 + (i % 7) }), (i) => ({ completionMs: 100 + (i % 5) }));
  writeFileSync(path.join(runDir, 'samples.ndjson'), ps.map((p) => JSON.stringify(p)).join('\n') + '\n');
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(runOf(ps), null, 2));
  const slow = path.join(dir, 'promoted');
  const second = path.join(dir, 'second');
  const write = (file: string, delay: number) =>
    `[${JSON.stringify(process.execPath)}, -e, "setTimeout(() => require('fs').writeFileSync(process.argv[1], 'done'), ${delay})", ${JSON.stringify(file)}]`;
  const policy = path.join(dir, 'policy.yaml');
  writeFileSync(policy, `minSamples: 10\ngates:\n  - { metric: completion.p95, threshold: "<= 1.5x baseline" }\nhooks:\n  onPass:\n    - exec: ${write(slow, HOOK_MS)}\n    - exec: ${write(second, 0)}\n`);
  return { runJson: path.join(runDir, 'run.json'), audit: path.join(dir, 'reports', 'audit.ndjson'), policy, slow, second };
}

type AuditLine = { type: string; hook?: HookResult };
const auditOf = (file: string): AuditLine[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine) : []);

/** The hooks as the audit log last recorded each: an end (or abandon) line replaces its start. */
function hooksInAudit(lines: AuditLine[]): HookResult[] {
  const out: HookResult[] = [];
  let open = false;
  for (const l of lines) {
    if (l.type === 'hook-start') {
      out.push(l.hook!);
      open = true;
    } else if (l.type === 'hook' || l.type === 'hook-abandoned') {
      if (open) out[out.length - 1] = l.hook!;
      else out.push(l.hook!);
      open = false;
    }
  }
  return out;
}

async function gate(signals: (child: ReturnType<typeof spawn>) => Promise<void>) {
  const s = storedPassingRun();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'gate', s.runJson, '--policy', s.policy], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  // The hook runs once both records of its start are written (audit line first, then run.json).
  const started = () => auditOf(s.audit).some((l) => l.type === 'hook-start') && (JSON.parse(readFileSync(s.runJson, 'utf8')) as RunResult).hooks?.length === 1;
  while (!started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  await signals(child);
  const code = await exited;
  const tookMs = Date.now() - t0;
  const run = JSON.parse(readFileSync(s.runJson, 'utf8')) as RunResult;
  const audit = auditOf(s.audit);
  // In every interleaving, run.json holds exactly what the audit log last says of each hook.
  expect(run.hooks, out).toEqual(hooksInAudit(audit));
  expect(audit[0]!.type).toBe('verdict');
  return { ...s, code, tookMs, run, audit, out };
}

describe('audit before action', () => {
  it('no signal: verdict, then start and end of each hook, in order', async () => {
    const g = await gate(async () => undefined);
    expect(g.code, g.out).toBe(0);
    expect(g.audit.map((l) => l.type)).toEqual(['verdict', 'hook-start', 'hook', 'hook-start', 'hook']);
    expect(g.run.hooks!.map((h) => h.ok)).toEqual([true, true]);
  });

  it('SIGTERM while a hook runs: the hook is waited for and recorded, no further hook starts, exit 2', async () => {
    const g = await gate(async (c) => void c.kill('SIGTERM'));
    expect(g.code, g.out).toBe(2);
    expect(g.out).toMatch(/SIGTERM while hooks run: waiting for the running hook/);
    expect(readFileSync(g.slow, 'utf8')).toBe('done');
    expect(existsSync(g.second)).toBe(false);
    expect(g.audit.map((l) => l.type)).toEqual(['verdict', 'hook-start', 'hook', 'hook']);
    expect(g.run.hooks!.map((h) => [h.ok, h.error ?? null])).toEqual([
      [true, null],
      [false, 'not run: parity was interrupted before this hook started'],
    ]);
  });

  it('a second SIGTERM: the running hook is recorded as abandoned and parity exits 2 at once', async () => {
    const g = await gate(async (c) => {
      c.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      c.kill('SIGTERM');
    });
    expect(g.code, g.out).toBe(2);
    expect(g.tookMs).toBeLessThan(HOOK_MS);
    expect(g.audit.map((l) => l.type)).toEqual(['verdict', 'hook-start', 'hook-abandoned']);
    expect(g.run.hooks).toHaveLength(1);
    expect(g.run.hooks![0]!.error).toMatch(/^abandoned: .*outcome is unknown/);
    expect(g.run.verdict!.status).toBe('pass');
  });

  it('SIGKILL while a hook runs: the start is on record in the audit log and run.json', async () => {
    const g = await gate(async (c) => void c.kill('SIGKILL'));
    expect(g.code).toBe(null);
    expect(g.audit.map((l) => l.type)).toEqual(['verdict', 'hook-start']);
    expect(g.run.hooks![0]!.error).toMatch(/^started; no result recorded/);
  });
});
