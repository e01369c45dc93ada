import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { ConfigIssue } from '../errors.ts';

/**
 * An exec hook that cannot start (its command missing, not executable, its cwd missing) was found
 * only when it fired: after a whole run of traffic, or in `parity shadow` only when a window
 * failed, i.e. exactly when the rollback was needed. Checked at load instead, before any traffic,
 * without running anything.
 */

/** A `${NAME}` reference, as parity substitutes in headers and a hook's env. */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/** libuv's search path when the hook's environment has no PATH (glibc's _PATH_DEFPATH). */
const DEFAULT_PATH = '/usr/bin:/bin';

type Found = { file: string } | { problem: string };

/**
 * Where execvp (libuv's spawn) would find `command`: a name with a slash is a path, relative to
 * the hook's cwd (the child changes directory first); a bare name is looked up in each PATH entry
 * in order (an empty entry is the cwd), and only a regular file with the executable bit counts.
 */
export function findProgram(command: string, cwd: string, pathVar: string | undefined): Found {
  if (command.includes('/')) {
    const file = path.resolve(cwd, command);
    const st = statOrNull(file);
    if (!st) return { problem: `command "${command}" does not exist (${file}; a relative path is relative to the hook's cwd, ${cwd}); fix the path, or give a program on PATH` };
    if (st.isDirectory()) return { problem: `command "${command}" is a directory (${file}), not a program; name the script or binary inside it` };
    if (!executable(file)) return { problem: `command "${command}" (${file}) is not executable: chmod +x it, or run it through its interpreter, e.g. exec: [sh, ${command}]` };
    return { file };
  }
  let notExecutable = false;
  for (const dir of (pathVar ?? DEFAULT_PATH).split(':')) {
    const file = path.resolve(cwd, dir || '.', command);
    const st = statOrNull(file);
    if (!st?.isFile()) continue;
    if (executable(file)) return { file };
    notExecutable = true;
  }
  // The PATH itself is not printed: a hook's env (PATH included) may hold substituted secrets.
  if (notExecutable) return { problem: `command "${command}" was found on PATH but not executable by this user: chmod +x it, or give the path of an executable one` };
  return { problem: `command "${command}" not found on PATH; install it, give its path (e.g. ./scripts/${command}), or set PATH in the hook's env` };
}

/**
 * Adds an issue per exec hook that could not start as written: its cwd (at `<at>.cwd`), then its
 * command (at `<at>.exec`). The PATH searched is the one the hook runs with: parity's own, or the
 * hook's `env.PATH`. A `shell: true` command string is the shell's to parse: only its cwd is checked.
 */
export function checkExecHook(hook: { argv: string[]; shell: boolean; cwd: string; env: Record<string, string> }, cwdAsWritten: string | undefined, at: string, issues: ConfigIssue[]): void {
  const st = statOrNull(hook.cwd);
  if (!st?.isDirectory()) {
    const what = st ? 'is not a directory' : 'does not exist';
    issues.push({ path: `${at}.cwd`, message: `working directory "${cwdAsWritten ?? hook.cwd}" (${hook.cwd}) ${what}; cwd is relative to the policy file's folder` });
    return;
  }
  if (hook.shell) return;
  // `${NAME}` is substituted in a hook's env and a webhook's headers, never in exec arguments (no
  // shell, the argv as written): `exec: [deploy.sh, --token, "${DEPLOY_TOKEN}"]` would hand the
  // script those characters, found only when the rollback ran.
  hook.argv.forEach((arg, i) => {
    const m = ENV_REF.exec(arg);
    if (m) issues.push({ path: `${at}.exec[${i}]`, message: `"${m[0]}" is not substituted in exec arguments (they run as written, without a shell); pass it in the hook's env (env: { ${m[1]}: "${m[0]}" }) and read it there, or use shell: true with a command string` });
  });
  const found = findProgram(hook.argv[0]!, hook.cwd, hook.env.PATH ?? process.env.PATH);
  if ('problem' in found) issues.push({ path: `${at}.exec`, message: found.problem });
}

function statOrNull(file: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
