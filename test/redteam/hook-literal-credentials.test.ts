import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { applyPolicy } from '../../harness/pipeline/judge.ts';
import { captureIO } from '../helpers/cli.ts';
import { pairs, runOf, tempDir } from '../helpers/gates.ts';

/** 20 passing pairs and their run.json under `dir`/run-1, as `parity gate` finds them. */
function storedRun(dir: string) {
  const ps = pairs(20, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
  const runJson = path.join(dir, 'run-1', 'run.json');
  mkdirSync(path.dirname(runJson));
  const run = runOf(ps);
  writeFileSync(runJson, JSON.stringify(run));
  return { ps, run, runJson };
}

const HEADER_TOKEN = 'lit-bearer-7f3a9c2e';
const API_KEY = 'lit-apikey-51d0b8aa';
const DEPLOY_TOKEN = 'lit-deploy-0c4e7d19';

/**
 * A policy's webhook headers and exec env were secrets only when substituted from the
 * environment. Written literally (`authorization: "Bearer …"` in a policy kept in a private repo,
 * `env: { DEPLOY_TOKEN: … }`), a receiver that answers 401 "invalid token <value>", or a rollback
 * script that logs its environment, put the credential in run.json `hooks`, audit.ndjson and the
 * terminal. A target's literal sensitive headers were already secrets; a hook's are too now.
 */
describe('literal credentials in hook headers and env are secrets', () => {
  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`invalid credentials: authorization=${req.headers.authorization} x-api-key=${String(req.headers['x-api-key'])}`);
    });
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('a receiver echoing them, and a hook printing its env, leave no trace in run.json, the audit log or the terminal', async () => {
    const dir = tempDir();
    const policyFile = path.join(dir, 'policy.yaml');
    const printEnv = `[${JSON.stringify(process.execPath)}, -e, "console.log('token is ' + process.env.DEPLOY_TOKEN); process.exit(1)"]`;
    writeFileSync(
      policyFile,
      [
        'minSamples: 1',
        'gates:',
        '  - { metric: completion.p95, threshold: "<= 1s" }',
        'hooks:',
        '  onPass:',
        `    - webhook: http://127.0.0.1:${port}/promote`,
        `      headers: { authorization: "Bearer ${HEADER_TOKEN}", x-api-key: "${API_KEY}", x-team: "checkout-team" }`,
        '      retries: 0',
        `    - exec: ${printEnv}`,
        `      env: { DEPLOY_TOKEN: "${DEPLOY_TOKEN}", REGION: "eu-west-1" }`,
        '',
      ].join('\n'),
    );
    const policy = await loadPolicy(policyFile, {});
    expect(policy.secrets).toEqual(expect.arrayContaining([`Bearer ${HEADER_TOKEN}`, API_KEY, DEPLOY_TOKEN]));
    // Names that do not look like credentials stay readable.
    expect(policy.secrets).not.toContain('checkout-team');
    expect(policy.secrets).not.toContain('eu-west-1');

    const { ps, run, runJson } = storedRun(dir);
    const c = captureIO({});
    const code = await applyPolicy({ run, pairs: ps.map(gatePair), runJson, policy, dryRun: false }, c.io);
    expect(code).toBe(4); // both hooks failed: the receiver refused, the script exited 1

    const stored = readFileSync(runJson, 'utf8');
    const audit = readFileSync(path.join(dir, 'audit.ndjson'), 'utf8');
    const hooks = (JSON.parse(stored) as { hooks: { stdoutTail?: string }[] }).hooks;
    // The echoes were recorded (so the check below looks at real output), with the values scrubbed.
    expect(hooks[0]!.stdoutTail).toContain('invalid credentials: authorization=[redacted] x-api-key=[redacted]');
    expect(hooks[1]!.stdoutTail).toContain('token is [redacted]');
    for (const [where, text] of [['run.json', stored], ['audit.ndjson', audit], ['stdout', c.out], ['stderr', c.err]] as const) {
      for (const secret of [HEADER_TOKEN, API_KEY, DEPLOY_TOKEN]) expect(text, `${secret} in ${where}`).not.toContain(secret);
    }
  });

  it('a webhook whose secret is its path or query (Slack, Discord, signed URLs) leaves it in no output', async () => {
    const SLACK = 'AbCdEf1234567890XyZ98765';
    const SIG = 's1gn4tur3-value';
    const dir = tempDir();
    const policyFile = path.join(dir, 'policy.yaml');
    const url = `http://127.0.0.1:${port}/services/T0001/B0002/${SLACK}?sig=${SIG}`;
    writeFileSync(policyFile, ['minSamples: 1', 'gates:', '  - { metric: completion.p95, threshold: "<= 1s" }', 'hooks:', '  onPass:', `    - webhook: "${url}"`, '      retries: 0', ''].join('\n'));
    const policy = await loadPolicy(policyFile, {});
    expect(policy.secrets).toEqual(expect.arrayContaining([SLACK, SIG]));
    // The readable parts of the path are no secrets.
    expect(policy.secrets).not.toContain('services');
    const { ps, run, runJson } = storedRun(dir);
    const c = captureIO({});
    expect(await applyPolicy({ run, pairs: ps.map(gatePair), runJson, policy, dryRun: false }, c.io)).toBe(4);
    const stored = readFileSync(runJson, 'utf8');
    // The hook is recorded (with its host readable), its secret is not.
    expect(stored).toContain(`127.0.0.1:${port}/services/T0001/B0002/[redacted]`);
    for (const [where, text] of [['run.json', stored], ['audit.ndjson', readFileSync(path.join(dir, 'audit.ndjson'), 'utf8')], ['stdout', c.out], ['stderr', c.err]] as const) {
      for (const secret of [SLACK, SIG]) expect(text, `${secret} in ${where}`).not.toContain(secret);
    }
  });

  it("parity's own environment, inherited by an exec hook that prints it, is scrubbed from its output", async () => {
    const dir = tempDir();
    const policyFile = path.join(dir, 'policy.yaml');
    // As `env` would print them (the whole environment can be longer than the recorded tail).
    const dump = `[${JSON.stringify(process.execPath)}, -e, "const e = process.env; console.log(JSON.stringify({ GITHUB_TOKEN: e.GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY: e.AWS_SECRET_ACCESS_KEY, USE_AUTH: e.USE_AUTH, PARITY_TEST_REGION: e.PARITY_TEST_REGION }))"]`;
    writeFileSync(policyFile, `minSamples: 1\ngates:\n  - { metric: completion.p95, threshold: "<= 1s" }\nhooks:\n  onPass:\n    - exec: ${dump}\n`);
    const policy = await loadPolicy(policyFile, {});
    const { ps, run, runJson } = storedRun(dir);
    const saved = { ...process.env };
    Object.assign(process.env, { GITHUB_TOKEN: 'ghs_inherited0123456789', AWS_SECRET_ACCESS_KEY: 'inheritedAwsSecret/42', USE_AUTH: 'true', PARITY_TEST_REGION: 'eu-west-1-region' });
    try {
      const c = captureIO({});
      expect(await applyPolicy({ run, pairs: ps.map(gatePair), runJson, policy, dryRun: false }, c.io)).toBe(0);
    } finally {
      for (const k of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'USE_AUTH', 'PARITY_TEST_REGION']) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const stored = readFileSync(runJson, 'utf8');
    const out = (JSON.parse(stored) as { hooks: { stdoutTail: string }[] }).hooks[0]!.stdoutTail;
    expect(out).toContain('"PARITY_TEST_REGION":"eu-west-1-region"'); // the output is there, and a plain value stays
    expect(out).toContain('"GITHUB_TOKEN":"[redacted]"');
    expect(out).toContain('"USE_AUTH":"true"'); // too short to be a credential
    for (const text of [stored, readFileSync(path.join(dir, 'audit.ndjson'), 'utf8')]) {
      expect(text).not.toContain('ghs_inherited0123456789');
      expect(text).not.toContain('inheritedAwsSecret');
    }
  });
});
