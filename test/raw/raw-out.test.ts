import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `parity raw --out` that is a file, and `--run-id` that is not a folder name: refused before any
 * traffic with the codes `parity run` gives (README: PARITY_OUTPUT_FAILED / PARITY_USAGE, no stack).
 * raw created its folder only after the load: a PARITY_HARNESS_ERROR stack, the measurement lost;
 * and `--run-id ../x` wrote raw.json outside --out.
 */
describe('parity raw output folder', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  let aFile = '';

  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url);
    aFile = path.join(ws.dir, 'a-file');
    writeFileSync(aFile, 'not a folder');
  });
  afterAll(() => server.close());

  it('--out naming a file: exit 3 PARITY_OUTPUT_FAILED before any request, no stack', async () => {
    const r = await runCli(['raw', ws.configFile, '--duration', '1s', '--connections', '1', '--out', aFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*ENOTDIR/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(server.count()).toBe(0);
  });

  it('--run-id with a path separator: exit 3 PARITY_USAGE before any request', async () => {
    const r = await runCli(['raw', ws.configFile, '--duration', '1s', '--connections', '1', '--out', ws.out, '--run-id', '../escaped']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n--run-id/);
    expect(server.count()).toBe(0);
  });
});
