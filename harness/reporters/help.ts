import type { ParseArgsConfig } from 'node:util';

/** What `parity <command> --help` says about one option. */
export interface OptionHelp {
  /** What the option does, one line. */
  description: string;
  /** The default, as a user would read it ("10s", "none: ..."); a default given in the parseArgs options is shown without this. */
  default?: string;
  /** An example, as typed on the command line: "--window 14". */
  example: string;
}

/** The parts of a command that its help shows. */
export interface HelpSource {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help?: Record<string, OptionHelp>;
  examples?: string[];
}

/**
 * `parity <command> --help`: the usage line, what the command does, and each option with what it
 * does, its default and an example. An option with no description says so rather than hiding.
 */
export function renderCommandHelp(c: HelpSource): string {
  const lines = [`parity ${c.usage}`, `  ${c.summary}`, '', 'Options:'];
  const entries = Object.entries(c.options);
  if (entries.length === 0) lines.push('  (none)');
  for (const [name, o] of entries) {
    const h = c.help?.[name];
    const flag = `--${name}${o.type === 'string' ? ' <value>' : ''}${o.short ? `, -${o.short}` : ''}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${h?.description ?? '(no description)'}`);
    const def = h?.default ?? (o.default !== undefined ? String(o.default) : o.type === 'boolean' ? 'false' : 'none');
    lines.push(`      default: ${def}${h?.example ? `   example: ${h.example}` : ''}`);
  }
  if (c.examples?.length) lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('', `Exit codes: ${EXIT_CODES_LINE}`, '');
  return lines.join('\n');
}

export const EXIT_CODES_LINE = '0 pass (or completed, with no policy or a warn-only one), 1 fail, 2 inconclusive or interrupted, 3 config or harness error, 4 verdict reached but a hook failed.';
