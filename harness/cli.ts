import { getOwn } from './json/own.ts';
import { parseArgs } from 'node:util';
import { ExitCode, UsageError } from './errors.ts';
import { processIO, reportError, type CliIO } from './io.ts';
import { learningIO } from './secrets/io.ts';
import type { Command } from './commands/command.ts';
import { TOOL_VERSION } from './version.ts';
import { EXIT_CODES_LINE, renderCommandHelp } from './reporters/help.ts';

export type { CliIO } from './io.ts';

/** Name → loader. Each command lives in commands/<name>.ts and is loaded only when used. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  snapshot: async () => (await import('./commands/snapshot.ts')).snapshotCommand,
  'serve-fixtures': async () => (await import('./commands/serve-fixtures.ts')).serveFixturesCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  trend: async () => (await import('./commands/trend.ts')).trendCommand,
  gate: async () => (await import('./commands/gate.ts')).gateCommand,
  raw: async () => (await import('./commands/raw.ts')).rawCommand,
  validate: async () => (await import('./commands/validate.ts')).validateCommand,
  sweep: async () => (await import('./commands/sweep.ts')).sweepCommand,
  merge: async () => (await import('./commands/merge.ts')).mergeCommand,
  shadow: async () => (await import('./commands/shadow.ts')).shadowCommand,
  replay: async () => (await import('./commands/replay.ts')).replayCommand,
};

/** The registered command names, and each command by name (for help and its tests). */
export const COMMAND_NAMES = (): string[] => Object.keys(COMMANDS);
export async function loadCommand(name: string): Promise<Command | undefined> {
  return getOwn(COMMANDS, name)?.();
}

/** The process's streams, guarded once: a closed stdout or stderr drops output instead of crashing the run. */
let defaultIO: CliIO | undefined;

async function help(): Promise<string> {
  const lines = [`parity ${TOOL_VERSION}: paired load and parity runs for backend migrations`, '', 'Commands:'];
  for (const load of Object.values(COMMANDS)) {
    const c = await load();
    lines.push(`  ${c.usage}`, `      ${c.summary}`);
  }
  lines.push('', 'Run "parity <command> --help" for its options.');
  lines.push(`Exit codes: ${EXIT_CODES_LINE}`, '');
  return lines.join('\n');
}


/** Runs the CLI; resolves to the exit code. Never calls process.exit itself. */
export async function main(argv: string[], given: CliIO = (defaultIO ??= processIO())): Promise<number> {
  // Scrubbed of the secrets the command learns once it has loaded its config, its error included.
  const io = learningIO(given);
  try {
    const [name, ...rest] = argv;
    if (name === '--version' || name === '-v') return void io.stdout.write(`${TOOL_VERSION}\n`), ExitCode.pass;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(await help());
      return name ? ExitCode.pass : ExitCode.error;
    }
    const load = getOwn(COMMANDS, name);
    if (!load) throw new UsageError(`unknown command "${name}"; the commands are: ${Object.keys(COMMANDS).join(', ')}`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) return void io.stdout.write(renderCommandHelp(command)), ExitCode.pass;
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\nUsage: parity ${command.usage}`);
    }
    const limit = positionalLimit(command.usage);
    const extra = parsed.positionals.slice(limit);
    if (extra.length) {
      // `parity run my.config.ts my-policy.yaml` (the --policy forgotten) would run ungated and exit 0.
      const takes = limit === 0 ? 'no arguments' : `${limit} argument${limit === 1 ? '' : 's'}`;
      throw new UsageError(`unexpected argument ${extra.map((a) => JSON.stringify(a)).join(' ')}: parity ${name} takes ${takes}; a flag's value needs its flag (e.g. --policy ${extra[0]})\nUsage: parity ${command.usage}`);
    }
    return await command.execute(parsed as { values: Record<string, unknown>; positionals: string[] }, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** How many arguments (not flags) a usage line names: `run <config> [--policy p]` 1, `snapshot record|compare <config>` 2, `merge <run-dir>...` any. */
export function positionalLimit(usage: string): number {
  let n = 0;
  for (const token of usage.split(/\s+/).slice(1)) {
    if (/^\[?-/.test(token) || token === '[...]') break;
    if (token.endsWith('...')) return Infinity;
    n++;
  }
  return n;
}
