import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const parity = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

/**
 * A TypeScript config is code: one that ends the process or throws later must not hand a pipeline
 * a verdict's exit code. `process.exit(0)` in a config (a helper that exits when a variable is
 * missing) made `parity run` exit 0 with nothing run, `process.exit(1)` exit 1 ("fail"); an
 * error thrown from a timer it started crashed parity with Node's exit 1. Each is exit 3 now.
 */
describe('a config module that exits or throws outside parity', () => {
  const ws = tempWorkspace();
  const config = (name: string, text: string) => {
    const file = path.join(ws.dir, name);
    writeFileSync(file, text);
    return file;
  };

  for (const code of [0, 1, 2]) {
    it(`process.exit(${code}) while loading: exit 3, PARITY_CONFIG_UNREADABLE naming the call`, () => {
      const r = parity('run', config(`exit-${code}.config.ts`, `if (!process.env.NOT_SET_ANYWHERE) process.exit(${code});\nexport default {};\n`), '--out', ws.out);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^parity: PARITY_CONFIG_UNREADABLE\n.*process\.exit\(/);
    });
  }

  it('an error thrown later from a timer the config started: exit 3 PARITY_HARNESS_ERROR, not Node\'s exit 1', () => {
    const valid = JSON.stringify(streamConfig({ baselineUrl: 'http://127.0.0.1:8000', candidateUrl: 'http://127.0.0.1:8001', promptsFile: ws.promptsFile }));
    const r = parity('validate', config('later.config.ts', `setTimeout(() => { throw new Error('boom later'); }, 300);\nexport default ${valid};\n`));
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_HARNESS_ERROR/);
    expect(r.stderr).toMatch(/boom later/);
  });

  it('an error thrown from a timer while the module is still loading: exit 3 PARITY_HARNESS_ERROR, not Node\'s 7', () => {
    // The load replaces process.exit (a config must not end parity); the crash handler exited through it, threw, and Node exited 7.
    const r = parity('validate', config('during.config.mts', `setTimeout(() => { throw new Error('boom while loading'); }, 10);\nawait new Promise((r) => setTimeout(r, 1_000));\nexport default {};\n`));
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_HARNESS_ERROR\n.*boom while loading/);
    expect(r.stderr).not.toMatch(/called process\.exit/);
  });
});
