import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { outputFs } from '../../harness/output/fs.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `parity merge --out` naming a file: exit 3 PARITY_OUTPUT_FAILED with the path (README), not a
 * PARITY_HARNESS_ERROR stack. A disk that fills while the merged files are written: the same, and
 * nothing half-written left as the merged run (merge wrote its own temp files, outside the output
 * fs layer that reports disk errors).
 */
describe('parity merge --out that cannot be written', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  let aFile = '';

  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url, { vus: 2, iterations: 8 });
    aFile = path.join(ws.dir, 'a-file');
    writeFileSync(aFile, 'not a folder');
    for (const k of ['1/2', '2/2']) {
      const r = await runCli(['run', ws.configFile, '--segment', k, '--run-id', 'segs', '--out', ws.out, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  it('exit 3 PARITY_OUTPUT_FAILED naming the folder, no stack', async () => {
    const r = await runCli(['merge', path.join(ws.out, 'segs'), '--out', aFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*a-file.*(EEXIST|ENOTDIR)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a full disk when the merged samples or run.json are written: exit 3 PARITY_OUTPUT_FAILED naming the file, no merged run.json, no temp file left', async () => {
    for (const file of ['samples.ndjson', 'run.json']) {
      const real = outputFs.rename;
      vi.spyOn(outputFs, 'rename').mockImplementation((async (from: string, to: string) => {
        if (path.basename(to) === file) throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC', syscall: 'rename' });
        return real(from, to);
      }) as typeof real);
      const out = path.join(ws.dir, `full-${file}`);
      const r = await runCli(['merge', path.join(ws.out, 'segs'), '--out', out]);
      vi.restoreAllMocks();
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^parity: PARITY_OUTPUT_FAILED\\n.*${file.replace('.', '\\.')}.*ENOSPC`, 'm'));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const dir = out;
      expect(existsSync(path.join(dir, 'run.json'))).toBe(false);
      expect(existsSync(dir) ? readdirSync(dir).filter((f) => /tmp/.test(f)) : []).toEqual([]);
    }
    // Where the merged run goes when the disk has room (so the checks above look in the right place).
    const ok = await runCli(['merge', path.join(ws.out, 'segs'), '--out', path.join(ws.dir, 'room')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(path.join(ws.dir, 'room', 'run.json'))).toBe(true);
  });
});
