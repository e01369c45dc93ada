import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `parity sweep --out` naming a file crashed with a PARITY_HARNESS_ERROR stack (README: an --out
 * that is a file is PARITY_OUTPUT_FAILED, exit 3, no stack), and `--sweep-id ../x` wrote the
 * sweep outside --out (a run id is one folder name: PARITY_USAGE).
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
});
