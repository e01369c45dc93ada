import type { CliIO } from '../io.ts';
import type { HelpSource } from '../reporters/help.ts';

export type { CliIO } from '../io.ts';
export type { OptionHelp } from '../reporters/help.ts';

/**
 * A subcommand: its own flags (`options`, for parseArgs), a usage line, what it does, and its help
 * (`help`: option → description, default, example; optional in the type so a command written
 * before it still compiles, required by test/commands/help.test.ts for the commands it knows).
 * Resolves to the exit code.
 */
export interface Command extends HelpSource {
  execute(args: { values: Record<string, unknown>; positionals: string[] }, io: CliIO): Promise<number>;
}
