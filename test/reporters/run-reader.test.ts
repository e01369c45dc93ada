import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParityError } from '../../harness/errors.ts';
import { readRun } from '../../harness/run/read.ts';
import { RUN_SCHEMA_VERSION } from '../../harness/run/result.ts';
import { runCli as cli } from '../helpers/cli.ts';
import { failingRun } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-reader-'));
const write = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ParityError);
  return e as ParityError;
};

describe('reading a stored run.json', () => {
  it('reads back a valid run', async () => {
    const run = failingRun();
    expect(await readRun(write('ok.json', JSON.stringify(run)))).toEqual(JSON.parse(JSON.stringify(run)));
  });

  it('a run.json from a newer schema version is refused with an upgrade hint', async () => {
    const f = write('newer.json', JSON.stringify({ ...failingRun(), schemaVersion: RUN_SCHEMA_VERSION + 1, tool: { name: 'parity', version: '9.0.0' } }));
    const e = await codeOf(readRun(f));
    expect(e.code).toBe('PARITY_RUN_SCHEMA_UNSUPPORTED');
    expect(e.message).toContain(`schema version ${RUN_SCHEMA_VERSION + 1}, written by parity 9.0.0`);
    expect(e.message).toContain('Upgrade parity');
  });

  it('a truncated file is a corrupt run.json, naming the file', async () => {
    const text = JSON.stringify(failingRun());
    const f = write('cut.json', text.slice(0, text.length / 2));
    const e = await codeOf(readRun(f));
    expect(e.code).toBe('PARITY_RUN_FILE_INVALID');
    expect(e.message).toMatch(/cut\.json: not valid JSON .* corrupt or was cut short/);
  });

  it('JSON that is not a run.json lists where it is wrong', async () => {
    const { summaries: _s, ...rest } = failingRun();
    const e = await codeOf(readRun(write('other.json', JSON.stringify({ ...rest, load: { model: 'closed' } }))));
    expect(e.code).toBe('PARITY_RUN_FILE_INVALID');
    expect(e.message).toContain('not a parity run.json');
    expect(e.message).toContain('→ at summaries');
    expect(e.message).toContain('→ at load.iterations');
  });

  it('the CLI prints the code and the message, never a stack trace, and exits 3', async () => {
    for (const [name, text, code] of [
      ['newer-cli.json', JSON.stringify({ schemaVersion: 99 }), 'PARITY_RUN_SCHEMA_UNSUPPORTED'],
      ['corrupt-cli.json', '{"schemaVersion": 1, "runId": ', 'PARITY_RUN_FILE_INVALID'],
      ['missing.json', null, 'PARITY_RUN_FILE_INVALID'],
    ] as const) {
      const f = text === null ? path.join(dir, name) : write(name, text);
      const r = await cli(['report', f, '--out', path.join(dir, 'out')]);
      expect(r.code).toBe(3);
      expect(r.stderr.split('\n')[0]).toBe(`parity: ${code}`);
      expect(r.stderr).toContain(name);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
