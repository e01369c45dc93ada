import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { allText } from '../helpers/reports-dir.ts';

/** A password with a raw `@`: the URL parser (as curl) ends the userinfo at the last `@`. */
const PASS = 'p@ss-W0rd-Literal9';
const TAIL = 'ss-W0rd-Literal9';
const HOOK_PASS = 'h@@k-Secret-77aa';

/**
 * The userinfo of a URL is a secret. Shown URLs had it cut at the *first* `@`, so the rest of such a
 * password stayed: run.json's config echo read `http://[redacted]@ss-W0rd-Literal9@host`, the
 * validate plan `(written http://ss-W0rd-Literal9@host)`, a webhook's display (run.json hooks, the
 * audit log, the terminal) `https://k-Secret-77aa@host/...`.
 */
describe('a base URL or webhook password holding a raw @', () => {
  const seen: string[] = [];
  let server: http.Server;
  let hostPort = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      req.resume();
      if (req.url === '/hook') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is sent as Basic auth and shown nowhere: run.json, reports, audit, terminal, validate', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const target = (name: string, role: string, baseUrl: string) => ({ name, role, baseUrl, routes: { chat: 'POST /chat' }, stream: 'named-events' });
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        name: 'raw-at',
        targets: [target('base', 'baseline', `http://svc:${PASS}@${hostPort}`), target('cand', 'candidate', `http://${hostPort}`)],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { vus: 1, iterations: 2, warmup: 0 },
        preflight: { retries: 0, interval: 10 },
      }),
    );
    const policy = path.join(ws.dir, 'p.yaml');
    writeFileSync(policy, `minSamples: 1\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onInconclusive:\n    - webhook: http://hook:${HOOK_PASS}@${hostPort}/hook\n`);

    const plan = await runCli(['validate', ws.configFile, '--policy', policy]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`(written http://${hostPort})`);
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'a', '--policy', policy]);
    // One backend behind both targets: inconclusive, which fires the webhook.
    expect(r.code, r.stdout + r.stderr).toBe(2);
    // Sent whole, as Basic auth, to the target and to the webhook.
    expect(seen).toContain(`Basic ${Buffer.from(`svc:${PASS}`).toString('base64')}`);
    expect(seen).toContain(`Basic ${Buffer.from(`hook:${HOOK_PASS}`).toString('base64')}`);
    const run = JSON.parse(readFileSync(path.join(ws.out, 'a', 'run.json'), 'utf8')) as { config: { targets: { baseUrl: string }[] }; hooks: { target: string }[] };
    expect(run.config.targets[0]!.baseUrl).toBe(`http://[redacted]@${hostPort}`);
    expect(run.hooks[0]!.target).toBe(`http://${hostPort}/hook`);
    const leaks = [TAIL, HOOK_PASS.slice(HOOK_PASS.lastIndexOf('@') + 1)];
    for (const [file, text] of allText(ws.out)) for (const leak of leaks) expect({ file, leak, found: text.includes(leak) }).toEqual({ file, leak, found: false });
    for (const leak of leaks) expect(plan.stdout + plan.stderr + r.stdout + r.stderr).not.toContain(leak);
  });
});
