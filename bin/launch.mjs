// How parity's own process is started: the Node flags it runs with, and the relaunch that applies
// them when Node was started without them. Plain JavaScript, loaded before tsx: nothing here may
// need a build step.
import { spawn } from 'node:child_process';
import net from 'node:net';

/**
 * A young generation of 64 MB semi-spaces instead of V8's 16 MB: parity allocates for every event
 * it reads (classified, timed, recorded), and each scavenge of the young generation stops the
 * process for 1–7 ms, late for every stream event that arrives meanwhile. Four times fewer
 * scavenges keep them out of a run's p99 (README, "Benchmarks": the clock's p99 timing error).
 * The price is up to ~100 MB more RSS once the young generation has grown.
 * V8 sizes the heap when the isolate starts (`v8.setFlagsFromString` afterwards does nothing), so
 * these must be on Node's command line.
 */
export const NODE_FLAGS = ['--max-semi-space-size=64'];

/** Set in the relaunched process: never relaunch twice. */
const LAUNCHED = 'PARITY_LAUNCHED';
/** The relaunched process's end of a socket pair with its launcher; EOF means the launcher died. */
const PARENT_FD = 3;
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

const flagName = (f) => f.split('=')[0];

/**
 * Whether this process must relaunch itself: not when it is the relaunched one, not when the user
 * set the flag themselves (command line or NODE_OPTIONS: theirs wins), not when
 * `PARITY_NO_RELAUNCH=1` asks for one process, and not on Windows (no process groups to hand
 * signals over with).
 */
export function needsRelaunch(env = process.env, execArgv = process.execArgv, platform = process.platform) {
  if (env[LAUNCHED] === '1' || env.PARITY_NO_RELAUNCH === '1' || platform === 'win32') return false;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName);
  // Under a debugger, one process: the inspector is on this one.
  if (given.some((f) => f.startsWith('--inspect'))) return false;
  return NODE_FLAGS.some((f) => !given.includes(flagName(f)));
}

/**
 * Runs this script again under `NODE_FLAGS` and mirrors the child: same arguments, stdio and
 * environment; exit code passed through; a child killed by a signal kills this process with the
 * same signal. The child gets its own process group, so a terminal's Ctrl-C reaches it exactly
 * once, forwarded from here (as a signal sent to this pid does); a SIGKILL of this process, which
 * cannot be forwarded, reaches the child through the socket pair (see `watchLauncher`). Resolves
 * with the exit code when the child exited on its own.
 */
export function relaunch(script, args) {
  const child = spawn(process.execPath, [...NODE_FLAGS, ...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    detached: true,
    env: { ...process.env, [LAUNCHED]: '1' },
  });
  const forward = (sig) => child.kill(sig);
  for (const sig of FORWARDED) process.on(sig, forward);
  // Ctrl-Z stops both (the child is not in the terminal's process group), `fg` resumes both.
  const suspend = () => {
    child.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  };
  const resume = () => child.kill('SIGCONT');
  process.on('SIGTSTP', suspend);
  process.on('SIGCONT', resume);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      child.stdio[PARENT_FD]?.destroy();
      for (const sig of FORWARDED) process.off(sig, forward);
      process.off('SIGTSTP', suspend);
      process.off('SIGCONT', resume);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/**
 * In the relaunched process: when the launcher dies without passing a signal on (SIGKILL, OOM
 * killer), this process dies the same way at once, as one process would have: it never runs on
 * unseen, sending traffic with no one to read its exit code.
 */
export function watchLauncher(env = process.env) {
  if (env[LAUNCHED] !== '1') return;
  let link;
  try {
    link = new net.Socket({ fd: PARENT_FD, readable: true, writable: false });
  } catch {
    return; // started by hand with PARITY_LAUNCHED=1 and no launcher: nothing to watch
  }
  link.on('error', () => undefined);
  link.on('close', () => process.kill(process.pid, 'SIGKILL'));
  link.resume();
  link.unref();
}
