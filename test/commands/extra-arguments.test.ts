import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, loadCommand, positionalLimit } from '../../harness/cli.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * `parity run my.config.yaml my-policy.yaml` (the --policy forgotten) ran the load with no policy
 * and exited 0 "completed": a pipeline took that for a pass. An argument a command does not take
 * is a usage error, before any traffic.
 */
describe('arguments a command does not take', () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n');
  });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile, load: { vus: 1, iterations: 2 } })));
  });
  afterAll(() => server.close());

  it('parity run <config> <policy> without --policy: exit 3 PARITY_USAGE naming the argument, nothing sent', async () => {
    const r = await runCli(['run', ws.configFile, 'seed-000-stage-b', '--out', ws.out, '--quiet']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n.*"seed-000-stage-b"/);
    expect(r.stderr).toMatch(/--policy seed-000-stage-b/);
    expect(requests).toBe(0);
  });

  it('validate, gate and report refuse an extra argument too; the documented forms still parse', async () => {
    expect((await runCli(['validate', ws.configFile, 'extra'])).code).toBe(3);
    expect((await runCli(['validate', ws.configFile])).code).toBe(0);
    expect((await runCli(['gate', 'a/run.json', 'seed-000-stage-b'])).stderr).toMatch(/PARITY_USAGE/);
  });

  it('each command takes the arguments its usage line names', async () => {
    const limits: Record<string, number> = {};
    for (const name of COMMAND_NAMES()) limits[name] = positionalLimit((await loadCommand(name))!.usage);
    expect(limits).toEqual({ run: 1, demo: 0, snapshot: 2, 'serve-fixtures': 0, report: 1, trend: 1, gate: 1, raw: 1, validate: 1, sweep: 1, merge: Infinity, shadow: 1, replay: 1 });
  });
});
