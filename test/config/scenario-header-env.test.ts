import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * `${ENV}` in a stream scenario's headers (README: substituted in "header values"): it was sent
 * as the literal text `${API_KEY}`, and a variable left unset passed validation; the run only
 * showed the backends refusing every request.
 */
describe('${ENV} in a stream scenario header', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  let ws: ReturnType<typeof sseWorkspace>;
  const received = () => server.headers.map((h) => h['x-api-key']);
  const KEY = 'sk-live-4f9a8b7c6d5e';

  beforeAll(async () => {
    server = await startSseServer();
    ws = sseWorkspace(server.url, { vus: 1, iterations: 2 }, (cfg) => {
      Object.assign(cfg.scenarios![0]!, { headers: { 'x-api-key': '${API_KEY}' } });
    });
  });
  afterAll(() => server.close());

  it('is sent with the variable\'s value, which no output holds', async () => {
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'env-header', '--quiet'], { API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(received().length).toBe(4);
    expect(new Set(received())).toEqual(new Set([KEY]));
    const dir = path.join(ws.out, 'env-header');
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('an unset variable is a config error at scenarios[0].headers.x-api-key, before any traffic', async () => {
    server.headers.length = 0;
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/API_KEY is not set/);
    expect(r.stderr).toMatch(/scenarios\[0\]\.headers\.x-api-key/);
    expect(received()).toEqual([]);
  });
});
