import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { outputFs } from '../../harness/output/fs.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `parity sweep --out` naming a file crashed with a PARITY_HARNESS_ERROR stack (README: an --out
 * that is a file is PARITY_OUTPUT_FAILED, exit 3, no stack), and `--sweep-id ../x` wrote the
 * sweep outside --out (a run id is one folder name: PARITY_USAGE). Its results were written in place
 * with a plain writeFile (not through the output fs layer): a full disk could leave a truncated sweep.json; now temp + rename.
 */
describe('parity sweep output folder', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  let aFile = '';
  const sweep = (extra: string[]) => runCli(['sweep', ws.configFile, '--from', '5', '--to', '10', '--steps', '2', '--duration', '1s', '--quiet', ...extra]);

  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url);
    aFile = path.join(ws.dir, 'a-file');
    writeFileSync(aFile, 'not a folder');
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  it('--out naming a file: exit 3 PARITY_OUTPUT_FAILED, no stack, no request', async () => {
    const r = await sweep(['--out', aFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*(ENOTDIR|EEXIST)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(server.count()).toBe(0);
  });

  it('--sweep-id with a path: exit 3 PARITY_USAGE, nothing written outside --out, no request', async () => {
    const r = await sweep(['--out', path.join(ws.dir, 'reports'), '--sweep-id', '../escaped']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n--sweep-id/);
    expect(existsSync(path.join(ws.dir, 'escaped'))).toBe(false);
    expect(server.count()).toBe(0);
  });

  it('a full disk when the result is written: exit 3 PARITY_OUTPUT_FAILED naming sweep.json, no stack, no half-written file left', async () => {
    const real = outputFs.writeFile;
    vi.spyOn(outputFs, 'writeFile').mockImplementation((async (file: Parameters<typeof real>[0], ...rest: unknown[]) => {
      if (String(file).includes('sweep.json')) {
        await (real as (...a: unknown[]) => Promise<void>)(file, '{"steps": [', ...rest.slice(1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      }
      return (real as (...a: unknown[]) => Promise<void>)(file, ...rest);
    }) as typeof real);
    const out = path.join(ws.dir, 'full-disk');
    const r = await sweep(['--out', out, '--sweep-id', 'full']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*sweep\.json: cannot write the sweep result \(ENOSPC/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Nothing that reads as a sweep result: no truncated sweep.json, no temp file left behind.
    expect(readdirSync(path.join(out, 'full')).filter((f) => f.startsWith('sweep.json'))).toEqual([]);
  });
});
