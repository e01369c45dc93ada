import { parseArgs } from 'node:util';
import path from 'node:path';
import { ExitCode, ParityError, UsageError } from './errors.ts';
import { loadConfig } from './config/load.ts';
import { runParity, type RunOutput } from './run/engine.ts';
import { renderSummary } from './reporters/terminal.ts';
import { startProgress } from './reporters/progress.ts';
import { TOOL_VERSION } from './version.ts';

const HELP = `parity ${TOOL_VERSION}: paired load and parity runs for backend migrations

Usage:
  parity run <config>     run the config's scenarios against baseline and candidate
  parity demo             start the built-in fixture backends and run a real paired check
  parity --version | --help

Options for run and demo:
  --out <dir>        output root (default: the config's outDir, "reports")
  --run-id <id>      name of the run folder (default: timestamp + random suffix)
  --quiet            no live progress

Exit codes: 0 completed (or pass), 1 fail, 2 inconclusive or interrupted, 3 config or harness error.
`;

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const defaultIO: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs the CLI; resolves to the exit code. Never calls process.exit itself. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'run-id': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.version) return void io.stdout.write(`${TOOL_VERSION}\n`), ExitCode.pass;
    if (values.help || !command) return void io.stdout.write(HELP), command || values.help ? ExitCode.pass : ExitCode.error;
    const runOpts = { outDir: values.out, runId: values['run-id'], quiet: values.quiet };
    switch (command) {
      case 'run': {
        const file = rest[0];
        if (!file) throw new UsageError('parity run needs a config file: parity run <config>');
        return await runCommand(file, runOpts, io);
      }
      case 'demo': {
        const { runDemo } = await import('./demo.ts');
        return await runDemo(runOpts, io, (file, o) => runCommand(file, o, io));
      }
      default:
        throw new UsageError(`unknown command "${command}"; run "parity --help" for the commands`);
    }
  } catch (err) {
    return reportError(err, io);
  }
}

export interface RunCommandOptions {
  outDir?: string | undefined;
  runId?: string | undefined;
  quiet?: boolean | undefined;
  env?: NodeJS.ProcessEnv;
  onOutput?: (out: RunOutput) => void;
}

export async function runCommand(file: string, opts: RunCommandOptions, io: CliIO): Promise<number> {
  const loaded = await loadConfig(file, opts.env ?? io.env);
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(ExitCode.inconclusive);
    io.stderr.write('\ninterrupted: finishing run.json with what was measured (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let stopProgress: (() => void) | undefined;
  try {
    const out = await runParity(loaded, {
      outDir: opts.outDir,
      runId: opts.runId,
      signal: ac.signal,
      onStart: (stats) => {
        if (!opts.quiet) stopProgress = startProgress(stats, { tty: Boolean(io.stdout.isTTY), write: (t) => io.stdout.write(t) });
      },
    });
    stopProgress?.();
    opts.onOutput?.(out);
    io.stdout.write(`\n${renderSummary(out.result, { color: Boolean(io.stdout.isTTY) })}\n\n`);
    io.stdout.write(`run.json: ${path.relative(process.cwd(), out.runJson) || out.runJson}\n`);
    return out.result.complete ? ExitCode.pass : ExitCode.inconclusive;
  } finally {
    stopProgress?.();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof ParityError) {
    io.stderr.write(`parity: ${err.code}\n${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  io.stderr.write(`parity: PARITY_HARNESS_ERROR\n${e?.stack ?? String(err)}\n`);
  return ExitCode.error;
}
