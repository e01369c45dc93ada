import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/** `parity merge --out` naming a file: exit 3 PARITY_OUTPUT_FAILED with the path (README), not a PARITY_HARNESS_ERROR stack. */
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

  it('exit 3 PARITY_OUTPUT_FAILED naming the folder, no stack', async () => {
    const r = await runCli(['merge', path.join(ws.out, 'segs'), '--out', aFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*a-file.*(EEXIST|ENOTDIR)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
