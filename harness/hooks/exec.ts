import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ExecHook } from './resolve.ts';

export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  error?: string;
}

/** Output kept for the record (run.json, audit): the last TAIL characters, after scrubbing. */
export const TAIL = 4000;
/** After SIGTERM at the timeout, the group gets this long before SIGKILL. */
export const KILL_GRACE_MS = 1000;
/** After the hook exits, its output is read this long more (a background child may hold the pipes open forever). */
export const OUTPUT_DRAIN_MS = 500;

/**
 * Runs one exec hook: argv without a shell (or /bin/sh -c with `shell: true`), `env` added to
 * the inherited environment, `stdin` written then closed. The hook runs in its own process group
 * so a timeout kills everything it started (a shell's children too): SIGTERM, then SIGKILL.
 */
export function runExec(hook: ExecHook, env: Record<string, string>, stdin: string): Promise<ExecOutcome> {
  const t0 = performance.now();
  if (!existsSync(hook.cwd)) {
    return Promise.resolve({ exitCode: null, signal: null, timedOut: false, durationMs: 0, stdout: '', stderr: '', error: `working directory not found: ${hook.cwd}` });
  }
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const [file, ...args] = hook.argv;
    const child = spawn(file!, args, {
      cwd: hook.cwd,
      env: { ...process.env, ...hook.env, ...env },
      shell: hook.shell,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    }, hook.timeoutMs);
    const done = (o: Omit<ExecOutcome, 'durationMs' | 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      // Anything the hook left behind in its group goes with it.
      if (timedOut) killGroup('SIGKILL');
      // Up to twice the tail: the caller scrubs secrets first, then keeps the tail, so no secret is cut in half at the tail's start.
      resolve({ ...o, timedOut, durationMs: Math.round(performance.now() - t0), stdout, stderr });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-TAIL * 2)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-TAIL * 2)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const msg = err.code === 'ENOENT' ? `command not found: ${file} (give a path or a program on PATH)` : err.message;
      done({ exitCode: null, signal: null, error: msg });
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => done({ exitCode: code, signal, ...(timedOut ? { error: `killed after the ${hook.timeoutMs} ms timeout` } : {}) });
    child.on('close', finish);
    // The exit status decides, not the pipes: a hook that started a background process holding its
    // stdout has still finished when it exits. Output is read for a short while more, then let go.
    child.on('exit', (code, signal) => {
      const drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, OUTPUT_DRAIN_MS);
      drain.unref();
    });
    // A hook that never reads stdin must not fail the write.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}
