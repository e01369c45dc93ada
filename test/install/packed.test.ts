import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const CONFIG = `import { defineConfig } from 'parity';
export default defineConfig({
  name: 'outside the repo',
  targets: [
    { name: 'old', role: 'baseline', baseUrl: '\${OLD_URL:-http://127.0.0.1:8000}', routes: { chat: 'POST /chat' }, health: ['\${HEALTH_PATH:-/health}'] },
    { name: 'new', role: 'candidate', baseUrl: 'http://127.0.0.1:3000', routes: { chat: 'POST /v2/chat' } },
  ],
  scenarios: [{ name: 'chat', route: 'chat', prompts: 'prompts.jsonl' }],
  load: { vus: 2, iterations: 10 },
});
`;
const POLICY = `import { definePolicy } from 'parity';
export default definePolicy({ name: 'outside', gates: [{ metric: 'error_rate', threshold: '<= 1%' }] });
`;

/**
 * The install story, as a user meets it: `npm pack`, the tarball installed into a temporary
 * project outside the repository (dependencies from the registry, no node_modules of ours), and
 * the installed bin run from yet another directory.
 */
describe('a packed parity installed outside the repository', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'parity-install-'));
  const project = path.join(work, 'project');
  const elsewhere = path.join(work, 'elsewhere');
  let bin: string;

  beforeAll(async () => {
    mkdirSync(project);
    mkdirSync(elsewhere);
    await run(npm, ['pack', '--pack-destination', work], { cwd: ROOT });
    const tarball = path.join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-parity', private: true }));
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], { cwd: project, timeout: 240_000 });
    bin = path.join(project, 'node_modules', '.bin', 'parity');
  }, 300_000);
  // The install is a full dependency tree: not left behind in the temp folder.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the packed files hold what the bin needs and no tests', async () => {
    const listed = readdirSync(path.join(project, 'node_modules', 'parity'));
    expect(listed).toEqual(expect.arrayContaining(['bin', 'harness', 'fixtures', 'scenarios', 'package.json']));
    expect(listed).not.toContain('test');
    // Not a symlink into this repository: the install is a real copy with its own dependencies.
    expect(readdirSync(path.join(project, 'node_modules'))).toEqual(expect.arrayContaining(['tsx', 'undici', 'zod']));
  });

  it('runs `parity demo` from a directory that is neither the repo nor the install', async () => {
    const { stdout } = await run(bin, ['demo', '--quiet', '--out', path.join(elsewhere, 'reports')], { cwd: elsewhere, timeout: 180_000 });
    expect(stdout).toMatch(/verdict: (PASS|FAIL|INCONCLUSIVE) \(policy demo-stage-b\)/);
    expect(stdout).toMatch(/demo: a real `parity run --policy` would exit [012]/);
    expect(readdirSync(path.join(elsewhere, 'reports')).length).toBeGreaterThan(0);
  }, 200_000);

  it("a TypeScript config and policy importing 'parity' load from a folder with no node_modules", async () => {
    const dir = path.join(work, 'configs');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'prompts.jsonl'), '{"text":"hi"}\n');
    writeFileSync(path.join(dir, 'parity.config.ts'), CONFIG);
    writeFileSync(path.join(dir, 'policy.ts'), POLICY);
    const { stdout } = await run(bin, ['validate', 'parity.config.ts', '--policy', 'policy.ts'], { cwd: dir });
    expect(stdout).toContain('plan: outside the repo');
    expect(stdout).toContain('health: /health → 200');
    expect(stdout).toMatch(/fail error_rate: error_rate <= 1%/);
    // The same config as an ES module (a "type": "module" package).
    const esm = path.join(work, 'esm');
    mkdirSync(esm);
    writeFileSync(path.join(esm, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(esm, 'prompts.jsonl'), '{"text":"hi"}\n');
    writeFileSync(path.join(esm, 'parity.config.ts'), CONFIG);
    const r = await run(bin, ['validate', path.join(esm, 'parity.config.ts')], { cwd: elsewhere });
    expect(r.stdout).toContain('valid: nothing was sent.');
  }, 60_000);
});
