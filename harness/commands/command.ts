import type { ParseArgsConfig } from 'node:util';
import type { CliIO } from '../io.ts';
import type { OptionHelp } from '../reporters/help.ts';

export type { CliIO } from '../io.ts';
export type { OptionHelp } from '../reporters/help.ts';

/** A subcommand: its own flags, a usage line, and what it does. Resolves to the exit code. */
export interface Command {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /**
   * Option name → description, default and example, for `--help`. Optional in the type so a
   * command written before it still compiles; test/commands/help.test.ts requires it for every
   * option of every registered command it knows.
   */
  help?: Record<string, OptionHelp>;
  /** Whole-command examples shown by `--help`. */
  examples?: string[];
  execute(args: { values: Record<string, unknown>; positionals: string[] }, io: CliIO): Promise<number>;
}
