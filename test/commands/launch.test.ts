import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, needsRelaunch } from '../../bin/launch.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The pids whose parent is `pid` (from /proc, so no `ps` needed). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid (after the command name in parentheses).
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** `parity serve-fixtures` (it serves until a signal), started as a user would: `node bin/parity.mjs`. */
async function serving(env: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; out: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'serve-fixtures'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30_000;
  while (!out.includes('serving until Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(out).toContain('serving until Ctrl-C');
  return { proc, out: () => out, exited };
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe('needsRelaunch', () => {
  it('relaunches a plain `node bin/parity.mjs`, not the relaunched process, not when the user set the flag, not when asked not to', () => {
    expect(NODE_FLAGS).toEqual(['--max-semi-space-size=64']);
    expect(needsRelaunch({}, [], 'linux')).toBe(true);
    expect(needsRelaunch({ PARITY_LAUNCHED: '1' }, [], 'linux')).toBe(false);
    expect(needsRelaunch({}, ['--max-semi-space-size=32'], 'linux')).toBe(false);
    expect(needsRelaunch({ NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=8' }, [], 'linux')).toBe(false);
    expect(needsRelaunch({ NODE_OPTIONS: '--max-old-space-size=4096' }, [], 'linux')).toBe(true);
    expect(needsRelaunch({ PARITY_NO_RELAUNCH: '1' }, [], 'linux')).toBe(false);
    expect(needsRelaunch({}, [], 'win32')).toBe(false);
    expect(needsRelaunch({}, ['--inspect-brk'], 'linux')).toBe(false);
  });
});

describe('bin/parity.mjs runs parity under its Node flags', () => {
  it('in one child with the flags; a signal to the launcher reaches it once and the exit is passed through', async () => {
    const s = await serving();
    const kids = childrenOf(s.proc.pid!);
    expect(kids).toHaveLength(1);
    expect(cmdline(kids[0]!)).toContain('--max-semi-space-size=64');
    s.proc.kill('SIGTERM');
    const exit = await s.exited;
    // serve-fixtures stops cleanly on SIGTERM: exit 0 from the child, passed on by the launcher.
    expect(exit, s.out()).toEqual({ code: 0, signal: null });
    expect(await gone(kids[0]!)).toBe(true);
  });

  it('Ctrl-Z (SIGTSTP) stops the child with the launcher; SIGCONT resumes both', async () => {
    const s = await serving();
    const [kid] = childrenOf(s.proc.pid!);
    const state = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    };
    const until = async (ok: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return ok();
    };
    s.proc.kill('SIGTSTP');
    expect(await until(() => state(kid!) === 'T' && state(s.proc.pid!) === 'T')).toBe(true);
    s.proc.kill('SIGCONT');
    expect(await until(() => state(kid!) !== 'T' && state(s.proc.pid!) !== 'T')).toBe(true);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
  });

  it('a SIGKILL of the launcher (which cannot be forwarded) takes the child down at once: nothing runs on unseen', async () => {
    const s = await serving();
    const [kid] = childrenOf(s.proc.pid!);
    expect(kid).toBeDefined();
    s.proc.kill('SIGKILL');
    await s.exited;
    expect(await gone(kid!)).toBe(true);
  });

  it('runs in one process when the user set the flag (NODE_OPTIONS) or PARITY_NO_RELAUNCH=1', async () => {
    for (const env of [{ NODE_OPTIONS: '--max-semi-space-size=32' }, { PARITY_NO_RELAUNCH: '1' }]) {
      const s = await serving(env);
      expect(childrenOf(s.proc.pid!).filter((p) => cmdline(p).some((a) => a.endsWith('parity.mjs')))).toEqual([]);
      s.proc.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
    }
  });
});
