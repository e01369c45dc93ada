import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../harness/gates/load.ts';
import type { WebhookHook } from '../../harness/hooks/resolve.ts';
import { postWebhook } from '../../harness/hooks/webhook.ts';
import { tempDir } from '../helpers/gates.ts';

/**
 * A webhook written with credentials (`https://deployer:${PASS}@deploy.internal/promote`) was
 * POSTed without them (the HTTP client drops userinfo): the deploy endpoint refuses, and the
 * promotion or rollback fails only when the verdict fires it. Like a target's baseUrl, userinfo is
 * sent as Basic auth, and a literal password is a secret.
 */
describe('webhook URL with user:password@', () => {
  const got: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    got.push(req.headers);
    req.resume().on('end', () => res.end('ok'));
  });
  let port = 0;
  const dir = tempDir();
  const policy = (name: string, hook: string) => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, `gates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onPass:\n${hook}`);
    return file;
  };
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('is POSTed with authorization: Basic base64(user:password), to the URL without them; the password is a secret', async () => {
    const loaded = await loadPolicy(policy('basic', `    webhook: http://deployer:\${DEPLOY_PASS}@127.0.0.1:${port}/promote\n`), { DEPLOY_PASS: 'hunter2-literal-pass' });
    const hook = loaded.hooks.pass[0] as WebhookHook;
    expect(hook.url).not.toContain('hunter2');
    const out = await postWebhook(hook, '{}');
    expect(out.delivered, out.error).toBe(true);
    expect(got.at(-1)!.authorization).toBe(`Basic ${Buffer.from('deployer:hunter2-literal-pass').toString('base64')}`);
    expect(loaded.secrets).toContain('hunter2-literal-pass');
    const literal = await loadPolicy(policy('literal', `    webhook: http://deployer:s3cret-in-file@127.0.0.1:${port}/promote\n`), {});
    expect(literal.secrets).toContain('s3cret-in-file');
  });

  it('with headers.authorization as well: a config error naming the hook, before any traffic', async () => {
    const file = policy('both', `    webhook: http://deployer:pw12345@127.0.0.1:${port}/promote\n    headers: { authorization: "Bearer abcdef" }\n`);
    await expect(loadPolicy(file, {})).rejects.toMatchObject({ code: 'PARITY_CONFIG_INVALID', message: expect.stringMatching(/hooks\.onPass\[0\]\.webhook/) });
  });
});
