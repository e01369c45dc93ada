import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/** `parity merge --out` naming a file: exit 3 PARITY_OUTPUT_FAILED with the path (README), not a PARITY_HARNESS_ERROR stack. */
describe('parity merge --out that cannot be written', () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n');
  });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const aFile = path.join(ws.dir, 'a-file');

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile, load: { vus: 2, iterations: 8 } })));
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
