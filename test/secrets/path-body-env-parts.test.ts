import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { allText } from '../helpers/reports-dir.ts';

const TENANT_KEY = 'tenant-9a8b7c6d5e4f';
const BODY_KEY = 'bodykey-5e4d3c2b1a09';

/**
 * `${ENV}` in a route path (`/v1/${TENANT_KEY}/chat`) or inside a stream body string
 * (`"{{prompt}} key=${BODY_KEY}"`) was a secret only as the whole substituted string: the path
 * `/v1/<key>/chat`, the body text with `{{prompt}}` unfilled (which no request ever carries). A
 * backend answering `401 unknown tenant <key>` echoes the value alone, and it reached samples.ndjson
 * in clear. Each value the environment gives is a secret on its own, as in headers and contract steps.
 */
describe('environment values inside a route path or a stream body', () => {
  let server: http.Server;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        const tenant = req.url!.split('/')[2];
        const key = /key=([\w-]+)/.exec(body)?.[1];
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `unknown tenant ${tenant}; invalid key ${key}` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('are scrubbed alone when a backend echoes them: samples, run.json, reports, terminal', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const target = (name: string, role: string) => ({ name, role, baseUrl: url, routes: { chat: 'POST /v1/${TENANT_KEY}/chat' }, stream: 'named-events' });
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        name: 'path-env',
        targets: [target('base', 'baseline'), target('cand', 'candidate')],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile, body: { prompt: '{{prompt}} key=${BODY_KEY}' } }],
        load: { vus: 1, iterations: 2, warmup: 0 },
        preflight: { retries: 0, interval: 10 },
      }),
    );
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'p'], { TENANT_KEY, BODY_KEY });
    expect(r.stderr).not.toMatch(/HARNESS_ERROR/);
    const files = allText(ws.out);
    // The backend's echo did land in the samples, scrubbed.
    expect(files.get(path.join(ws.out, 'p', 'samples.ndjson'))).toMatch(/unknown tenant \[redacted\]; invalid key \[redacted\]/);
    for (const [file, text] of files) for (const leak of [TENANT_KEY, BODY_KEY]) expect({ file, leak, found: text.includes(leak) }).toEqual({ file, leak, found: false });
    for (const leak of [TENANT_KEY, BODY_KEY]) expect(r.stdout + r.stderr).not.toContain(leak);
  });
});
