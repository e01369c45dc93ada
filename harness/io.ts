import { ExitCode, ParityError } from './errors.ts';
import { terminalSafe } from './text/escape.ts';

/** Where a command writes, and the environment it reads: the process's, or a test's capture. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
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
