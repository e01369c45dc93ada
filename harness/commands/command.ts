import type { ParseArgsConfig } from 'node:util';
import type { CliIO } from '../io.ts';

export type { CliIO } from '../io.ts';

/** A subcommand: its own flags, a usage line, and what it does. Resolves to the exit code. */
export interface Command {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  execute(args: { values: Record<string, unknown>; positionals: string[] }, io: CliIO): Promise<number>;
}
