import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';

const FUNC_KEY = 'fn-key-7c6b5a4d3e2f1a0b';

/**
 * Only `parity run` (and replay) printed through the scrubber. `parity shadow`, `raw`, `snapshot`
 * and `sweep` wrote to the terminal as is: a health route keyed from the environment
 * (`/health?code=${FUNC_KEY}`, Azure Functions' function keys) was printed in clear in every
 * preflight notice and in PARITY_PREFLIGHT_FAILED, and the shadow's listening line showed the
 * resolved base URLs. The CLI's terminal now learns each command's secrets once it has loaded its
 * config, up to the error it ends with.
 */
describe("every command's terminal is scrubbed of the config's secrets", () => {
  let server: http.Server;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(503);
      res.end(`down: ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a preflight that fails on a health path holding a key: shadow, raw, snapshot and sweep print it redacted', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const target = (name: string, role: string) => ({
      name,
      role,
      baseUrl: url,
      routes: { chat: 'POST /chat', me: 'GET /me' },
      health: [{ path: '/health?code=${FUNC_KEY}' }],
      stream: 'named-events',
    });
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        name: 'terminal',
        targets: [target('base', 'baseline'), target('cand', 'candidate')],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        contracts: { flows: [{ name: 'f', steps: [{ name: 'me', route: 'me' }] }] },
        load: { model: 'constant-arrival-rate', rate: 1, duration: '1s', warmup: 0 },
        preflight: { retries: 1, interval: 10 },
      }),
    );
    const commands = [
      ['shadow', ws.configFile, '--listen', '127.0.0.1:0', '--windows', '1', '--out', ws.out],
      ['raw', ws.configFile, '--duration', '1s', '--out', ws.out],
      ['snapshot', 'record', ws.configFile],
      ['sweep', ws.configFile, '--from', '1', '--to', '2', '--steps', '2', '--out', ws.out],
    ];
    for (const args of commands) {
      const r = await runCli(args, { FUNC_KEY });
      const said = r.stdout + r.stderr;
      expect({ command: args[0], code: r.code, failed: said.includes('PARITY_PREFLIGHT_FAILED') }).toEqual({ command: args[0], code: 3, failed: true });
      expect(said, args[0]).toContain('GET [redacted]');
      expect({ command: args[0], leaked: said.includes(FUNC_KEY) }).toEqual({ command: args[0], leaked: false });
    }
  });
});
