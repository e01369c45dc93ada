import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

/**
 * `${ENV}` in a stream scenario's headers (README: substituted in "header values"): it was sent
 * as the literal text `${API_KEY}`, and a variable left unset passed validation; the run only
 * showed the backends refusing every request.
 */
describe('${ENV} in a stream scenario header', () => {
  const received: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers['x-api-key'] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n');
  });
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const KEY = 'sk-live-4f9a8b7c6d5e';

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile, load: { vus: 1, iterations: 2 } });
    cfg.scenarios = [{ name: 's', route: 'chat', prompts: ws.promptsFile, headers: { 'x-api-key': '${API_KEY}' } }];
    writeFileSync(ws.configFile, JSON.stringify(cfg));
  });
  afterAll(() => server.close());

  it('is sent with the variable\'s value, which no output holds', async () => {
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'env-header', '--quiet'], { API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(received.length).toBe(4);
    expect(new Set(received)).toEqual(new Set([KEY]));
    const dir = path.join(ws.out, 'env-header');
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('an unset variable is a config error at scenarios[0].headers.x-api-key, before any traffic', async () => {
    received.length = 0;
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/API_KEY is not set/);
    expect(r.stderr).toMatch(/scenarios\[0\]\.headers\.x-api-key/);
    expect(received).toEqual([]);
  });
});
