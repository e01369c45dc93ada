import { ExitCode, ParityError } from './errors.ts';
import { terminalSafe } from './text/escape.ts';

/** Where a command writes, and the environment it reads: the process's, or a test's capture. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /**
   * Tells the terminal the secrets a command has learned (its config's and policy's, once loaded):
   * everything printed from then on, the command's error included, is scrubbed of them
   * (`secrets/io.ts`; the CLI's terminal has it, a test's capture may not).
   */
  learnSecrets?: (secrets: Iterable<string>) => void;
}

/**
 * The process's own stdout and stderr, made safe to lose: when whoever reads them goes away
 * (`parity run ... | head`, a CI log pipe closed early), a write fails with EPIPE, which Node
 * emits as an 'error' event and, unhandled, crashes the process: mid-run (the samples not
 * finalized), or after run.json but before the verdict, the reports and the hooks. Output to a
 * closed pipe is dropped instead (one line on the other stream says so, while it is open); the
 * run, its files, verdict and hooks go on, and the exit code is the verdict's.
 */
export function processIO(proc: Pick<NodeJS.Process, 'stdout' | 'stderr' | 'env'> = process): CliIO {
  const closed = new Set<string>();
  const guard = (name: 'stdout' | 'stderr', other: NodeJS.WritableStream & { destroyed?: boolean }) => (err: NodeJS.ErrnoException) => {
    if (closed.has(name)) return;
    closed.add(name);
    if (!closed.has(name === 'stdout' ? 'stderr' : 'stdout') && !other.destroyed) other.write(`parity: ${name} closed (${err.code ?? err.message}): its further output is dropped; the run goes on\n`);
  };
  proc.stdout.on('error', guard('stdout', proc.stderr));
  proc.stderr.on('error', guard('stderr', proc.stdout));
  return { stdout: proc.stdout, stderr: proc.stderr, env: proc.env };
}

/** Prints an error with its stable code (a stack only for a bug: an error that is not a ParityError); returns its exit code. */
export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof ParityError) {
    io.stderr.write(`parity: ${err.code}\n${terminalSafe(err.message)}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  io.stderr.write(`parity: PARITY_HARNESS_ERROR\n${e?.stack ?? String(err)}\n`);
  return ExitCode.error;
}
