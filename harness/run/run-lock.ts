import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * Which process is writing a run folder's samples spool. A spool is the truth of a run that did
 * not finish, and `parity gate`/`report`/`merge` convert it (samples-file.ts): done to a run that
 * is still going, that removed the spool under the running process, which then lost every pair it
 * measured after that and ended in a harness error. The running process leaves its pid and host
 * here from its start to its final run.json; a spool whose writer is alive on this machine is not
 * touched. A killed run leaves the file with a dead pid (recovered as before); on another host
 * (a shared volume) liveness cannot be told, so recovery goes on as before.
 */
const LOCK = '.parity-running';

export async function markRunning(dir: string): Promise<void> {
  await writeFile(path.join(dir, LOCK), JSON.stringify({ pid: process.pid, host: hostname() }) + '\n');
}

export async function clearRunning(dir: string): Promise<void> {
  await rm(path.join(dir, LOCK), { force: true });
}

/** Throws when another live process on this machine is writing the run in `dir`. */
export function assertNotRunning(dir: string): void {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(readFileSync(path.join(dir, LOCK), 'utf8')) as typeof owner;
  } catch {
    return;
  }
  const pid = owner.pid;
  if (typeof pid !== 'number' || pid === process.pid || owner.host !== hostname() || !alive(pid)) return;
  throw new UsageError(`the run in ${dir} is still running (parity process ${pid} on this machine is writing its samples spool); nothing was changed. Run this again once it has finished (or stop it: kill ${pid}). If process ${pid} is not parity (a pid reused after a restart, as in a container), delete ${path.join(dir, LOCK)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
