import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, loadCommand } from '../../harness/cli.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * The commands this branch knows. A command added elsewhere is checked once it is listed here
 * (its help is optional in the Command type, so it still compiles without).
 */
const KNOWN = ['run', 'demo', 'snapshot', 'serve-fixtures', 'report', 'trend', 'gate', 'raw', 'validate', 'sweep', 'merge', 'shadow', 'replay'];

describe('parity <command> --help', () => {
  it('every known command is registered', () => {
    expect(COMMAND_NAMES()).toEqual(expect.arrayContaining(KNOWN));
  });

  for (const name of KNOWN) {
    it(`${name}: every option has a description, a default and an example`, async () => {
      const command = (await loadCommand(name))!;
      const missing = Object.keys(command.options).filter((o) => !command.help?.[o]?.description || !command.help[o].example);
      expect(missing, `options of "${name}" without help`).toEqual([]);
      const r = await runCli([name, '--help']);
      expect(r.code).toBe(0);
      for (const o of Object.keys(command.options)) {
        const block = r.stdout.slice(r.stdout.indexOf(`\n  --${o}`) + 1);
        expect(block, o).toMatch(/^ {2}--\S+.*\n {6}\S.*\n {6}default: \S.*example: --/);
      }
      expect(r.stdout).toMatch(/4 verdict reached but a hook failed/);
    });
  }

  it('parity --help lists every command with its usage and what it does, and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const name of KNOWN) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b.*\\n {6}\\S`, 'm'));
    expect(r.stdout).toMatch(/Exit codes: .*4 verdict reached but a hook failed/);
  });

  it('shows the default given to parseArgs, and the one written in the help', async () => {
    const r = await runCli(['trend', '--help']);
    expect(r.stdout).toMatch(/ {2}--window <value>\n {6}how many previous complete runs.*\n {6}default: 7 {3}example: --window 14/);
    const report = await runCli(['report', '--help']);
    expect(report.stdout).toMatch(/--format <value>, -f\n.*\n {6}default: all/);
  });
});
