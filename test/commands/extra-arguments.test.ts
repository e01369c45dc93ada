import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, loadCommand, positionalLimit } from '../../harness/cli.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `parity run my.config.yaml my-policy.yaml` (the --policy forgotten) ran the load with no policy
 * and exited 0 "completed": a pipeline took that for a pass. An argument a command does not take
 * is a usage error, before any traffic.
 */
describe('arguments a command does not take', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url, { vus: 1, iterations: 2 });
  });
  afterAll(() => server.close());

  it('parity run <config> <policy> without --policy: exit 3 PARITY_USAGE naming the argument, nothing sent', async () => {
    const r = await runCli(['run', ws.configFile, 'seed-000-stage-b', '--out', ws.out, '--quiet']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_USAGE\n.*"seed-000-stage-b"/);
    expect(r.stderr).toMatch(/--policy seed-000-stage-b/);
    expect(server.count()).toBe(0);
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
