import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'parity.mjs');

const config = (from: string) => `import { defineConfig } from ${JSON.stringify(from)};
export default defineConfig({
  name: 'anywhere',
  targets: [
    { name: 'a', role: 'baseline', baseUrl: 'http://127.0.0.1:8000' },
    { name: 'b', role: 'candidate', baseUrl: 'http://127.0.0.1:3000' },
  ],
  scenarios: [{ name: 's', route: 'POST /chat', body: { q: 'hi' } }],
  load: { vus: 1, iterations: 2 },
});
`;

/** The CLI as a user runs it (bin/parity.mjs, a child process), on configs in a temp folder with no node_modules. */
async function validate(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, 'validate', file], { cwd: path.dirname(file) });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("configs anywhere import 'parity'", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-anywhere-'));

  it('a .ts config compiled as CommonJS, one in a "type": "module" folder, and a .mts config all load', async () => {
    writeFileSync(path.join(dir, 'cjs.config.ts'), config('parity'));
    writeFileSync(path.join(dir, 'esm.config.mts'), config('parity'));
    mkdirSync(path.join(dir, 'esm'));
    writeFileSync(path.join(dir, 'esm', 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(dir, 'esm', 'parity.config.ts'), config('parity'));
    for (const f of ['cjs.config.ts', 'esm.config.mts', 'esm/parity.config.ts']) {
      const r = await validate(path.join(dir, f));
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('plan: anywhere');
    }
  }, 60_000);

  it("importing parity's harness/index.ts by path: exit 3, and the message says what to do", async () => {
    const file = path.join(dir, 'by-path.config.ts');
    writeFileSync(file, config(path.join(ROOT, 'harness', 'index.ts')));
    const r = await validate(file);
    // A second copy of the harness (and of undici) fails to load; the error says what to do instead.
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('PARITY_CONFIG_UNREADABLE');
    expect(r.stderr).toContain('Illegal constructor');
    expect(r.stderr).toMatch(/fix: import \{ defineConfig \} from 'parity'/);
  }, 30_000);
});
