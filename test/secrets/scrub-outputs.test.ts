import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { allText } from '../helpers/reports-dir.ts';
import { Scrubber } from '../../harness/secrets/scrubber.ts';

const TOKEN = 'tok-9f8e7d6c5b4a3921';
const PASS = 'p4ss-w0rd-Secret';
const USER = 'svc-parity';
/** A real user's token in captured traffic (not in the config). */
const USER_TOKEN = 'user-own-token-7a6b5c4d';
/** A session token a flow captures at login. */
const SESSION_TOKEN = 'session-token-3c2b1a09';

/** Forms of the secrets a careless writer would leave: raw, the Basic credential, the base64 of user:pass. */
const LEAKS = [TOKEN, PASS, Buffer.from(`${USER}:${PASS}`).toString('base64'), TOKEN.slice(0, 10)];

describe('secrets never reach an output', () => {
  let server: http.Server;
  let url = '';
  const seenAuth: string[] = [];
  const webhookBodies: string[] = [];

  beforeAll(async () => {
    let n = 0;
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        if (req.url === '/hook') {
          webhookBodies.push(body);
          res.end('ok');
          return;
        }
        const auth = req.headers.authorization ?? '';
        seenAuth.push(auth);
        if (auth.startsWith('Bearer')) {
          // A backend that echoes the credential: in an error body (cut by the probe at 200 chars), or in an error event.
          if (n++ % 2 === 0) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: `rejected ${auth}`, padding: 'x'.repeat(150), again: auth }));
          } else {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            res.end(`event: error\ndata: ${JSON.stringify({ message: `token ${auth.slice(7)} expired`, escaped: `"${TOKEN}"` })}\n\n`);
          }
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('Bearer ${TOKEN} echoed by the backend and http://user:${PASS}@host: scrubbed from samples, run.json, reports, audit, hooks, webhook and terminal; userinfo sent as Basic auth', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const config = {
      name: 'secrets',
      targets: [
        { name: 'base', role: 'baseline', baseUrl: `http://${USER}:\${PASS}@${url}`, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
        { name: 'cand', role: 'candidate', baseUrl: `http://${url}`, headers: { authorization: 'Bearer ${TOKEN}' }, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      ],
      scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
      load: { vus: 2, iterations: 6, warmup: 0 },
      preflight: { retries: 0, interval: 10 },
    };
    writeFileSync(ws.configFile, JSON.stringify(config));
    const hookOut = path.join(ws.out, 'hook-env.json');
    const policy = path.join(ws.dir, 'p.yaml');
    const recorder = `const fs=require('fs');fs.writeFileSync(${JSON.stringify(hookOut)}, JSON.stringify({env: process.env, stdin: fs.readFileSync(0,'utf8')}));console.log(process.env.PARITY_BASELINE_URL)`;
    writeFileSync(
      policy,
      `minSamples: 1\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onFail:\n    - exec: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(recorder)}]\n    - webhook: http://${url}/hook\n`,
    );
    const env = { TOKEN, PASS };
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'r1', '--quiet', '--policy', policy, '--summary-to', path.join(ws.out, 'summary-to.md')], env);
    expect(r.stderr).not.toMatch(/HARNESS_ERROR/);
    expect(r.code).toBe(1);
    // The userinfo was sent, as Basic auth (not silently dropped).
    expect(seenAuth).toContain(`Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`);
    expect(seenAuth).toContain(`Bearer ${TOKEN}`);
    const files = allText(ws.out);
    expect([...files.keys()].map((f) => path.basename(f))).toEqual(expect.arrayContaining(['run.json', 'samples.ndjson', 'summary.md', 'report.html', 'junit.xml', 'audit.ndjson', 'hook-env.json', 'summary-to.md']));
    // The backend's echo did land in the samples, scrubbed.
    expect(files.get(path.join(ws.out, 'r1', 'samples.ndjson'))).toMatch(/rejected \[redacted\]/);
    for (const [file, text] of files) for (const leak of LEAKS) expect({ file, leaked: text.includes(leak) }).toEqual({ file, leaked: false });
    expect(webhookBodies.length).toBe(1);
    for (const leak of LEAKS) {
      expect(webhookBodies[0]).not.toContain(leak);
      expect(r.stdout + r.stderr).not.toContain(leak);
    }
    const run = JSON.parse(files.get(path.join(ws.out, 'r1', 'run.json'))!) as { targets: { baseUrl: string }[]; config: { targets: { baseUrl: string }[] } };
    expect(run.targets[0]!.baseUrl).toBe(`http://${url}`);
    expect(run.config.targets[0]!.baseUrl).toBe(`http://[redacted]@${url}`);
  });

  it('request scenarios and replays: a credential echoed in an error body is scrubbed from their samples too, as from streams', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const config = {
      name: 'secrets-requests',
      targets: [
        { name: 'base', role: 'baseline', baseUrl: `http://${url}`, headers: { authorization: 'Bearer ${TOKEN}' }, routes: { me: 'GET /me' } },
        { name: 'cand', role: 'candidate', baseUrl: `http://${url}`, headers: { authorization: 'Bearer ${TOKEN}' }, routes: { me: 'GET /me' } },
      ],
      scenarios: [{ type: 'request', name: 'me', route: 'me', compare: 'all' }],
      load: { vus: 2, iterations: 6, warmup: 0 },
      preflight: { retries: 0, interval: 10 },
    };
    writeFileSync(ws.configFile, JSON.stringify(config));
    const env = { TOKEN };
    const run = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'req', '--quiet'], env);
    expect(run.stderr).not.toMatch(/HARNESS_ERROR/);
    // A replay sends the captured users' own credentials (no config header here): echoed, they are scrubbed too.
    const replayConfig = path.join(ws.dir, 'replay.config.json');
    writeFileSync(replayConfig, JSON.stringify({ ...config, targets: config.targets.map(({ headers: _h, ...t }) => t) }));
    const capture = path.join(ws.dir, 'capture.ndjson');
    writeFileSync(capture, Array.from({ length: 6 }, (_, i) => JSON.stringify({ t: 1_700_000_000_000 + i * 10, method: 'GET', path: '/me', headers: { authorization: `Bearer ${USER_TOKEN}` } })).join('\n') + '\n');
    const replay = await runCli(['replay', capture, '--config', replayConfig, '--out', ws.out, '--run-id', 'rep', '--quiet', '--speed', 'max'], env);
    expect(replay.stderr).not.toMatch(/HARNESS_ERROR/);
    expect(seenAuth).toContain(`Bearer ${USER_TOKEN}`);
    for (const id of ['req', 'rep']) {
      const samples = readFileSync(path.join(ws.out, id, 'samples.ndjson'), 'utf8');
      // The backend's echo did land in the samples, scrubbed.
      expect(samples, id).toMatch(/rejected \[redacted\]/);
    }
    const files = allText(ws.out);
    for (const [file, text] of files) for (const leak of [...LEAKS, USER_TOKEN]) expect({ file, leaked: text.includes(leak) }).toEqual({ file, leaked: false });
  });

  it('a flow: a token captured at login and sent as a credential header, echoed in a later step\'s error body, is scrubbed from that step\'s samples', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    // The same backend answers the login with a session token (the mock server answers any POST /login so).
    const login = http.createServer((req, res) => {
      if (req.url === '/login') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: SESSION_TOKEN }));
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `rejected ${req.headers.authorization ?? ''}` }));
    });
    await new Promise<void>((r) => login.listen(0, '127.0.0.1', r));
    const at = `http://127.0.0.1:${(login.address() as AddressInfo).port}`;
    try {
      const config = {
        name: 'secrets-flow',
        targets: [
          { name: 'base', role: 'baseline', baseUrl: at, routes: {} },
          { name: 'cand', role: 'candidate', baseUrl: at, routes: {} },
        ],
        scenarios: [
          {
            type: 'flow',
            name: 'session',
            steps: [
              { name: 'login', route: 'POST /login', body: { user: 'qa' }, capture: { token: '$.token' } },
              { name: 'me', route: 'GET /me', headers: { authorization: 'Bearer {{token}}' } },
            ],
          },
        ],
        load: { vus: 2, iterations: 4, warmup: 0 },
        preflight: { retries: 0, interval: 10 },
      };
      writeFileSync(ws.configFile, JSON.stringify(config));
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'flow', '--quiet']);
      expect(r.stderr).not.toMatch(/HARNESS_ERROR/);
      const samples = readFileSync(path.join(ws.out, 'flow', 'samples.ndjson'), 'utf8');
      expect(samples).toMatch(/rejected \[redacted\]/);
      for (const [file, text] of allText(ws.out)) expect({ file, leaked: text.includes(SESSION_TOKEN) }).toEqual({ file, leaked: false });
    } finally {
      await new Promise<void>((r) => login.close(() => r()));
    }
  });

  it('a URL with userinfo and an authorization header is refused at config time (exit 3), naming the field', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        targets: [
          { name: 'b', role: 'baseline', baseUrl: `http://u:pw12@${url}`, headers: { Authorization: 'Bearer x' }, routes: { chat: 'POST /c' } },
          { name: 'c', role: 'candidate', baseUrl: `http://${url}`, routes: { chat: 'POST /c' } },
        ],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile }],
        load: { vus: 1, iterations: 1 },
      }),
    );
    const r = await runCli(['run', ws.configFile, '--out', ws.out], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID[\s\S]*credentials[\s\S]*targets\[0\]\.baseUrl/);
    expect(r.stderr).not.toContain('pw12');
  });
});

describe('Scrubber', () => {
  const s = new Scrubber(['Bearer abcdef123456', 'user:hunter22', 'x"y\\zzz']);
  it('scrubs whole values, token parts, JSON-escaped forms and a secret cut short at the end of a truncated message', () => {
    expect(s.scrub('auth Bearer abcdef123456!')).toBe('auth [redacted]!');
    expect(s.scrub('token abcdef123456 expired')).toBe('token [redacted] expired');
    expect(s.scrub(JSON.stringify('x"y\\zzz'))).toBe('"[redacted]"');
    expect(s.scrub('HTTP 500: rejected Bearer abcdef…')).toBe('HTTP 500: rejected [redacted]…');
    expect(s.scrub('HTTP 500: token abcdef1…')).toBe('HTTP 500: token [redacted]…');
    expect(s.scrub('Bearer is a word')).toBe('Bearer is a word');
  });
  it('scrubDeep keeps numbers and key order, and any depth', () => {
    const n = new Scrubber(['5000']);
    expect(JSON.stringify(n.scrubDeep({ a: 5000, b: 'x5000', c: [1, '5000'] }))).toBe('{"a":5000,"b":"x[redacted]","c":[1,"[redacted]"]}');
    let deep: unknown = 'abcdef123456';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let out = s.scrubDeep(deep);
    for (let i = 0; i < 100_000; i++) out = (out as unknown[])[0];
    expect(out).toBe('[redacted]');
  });
});

describe('hook output tails', () => {
  it('a secret straddling the start of the kept tail is scrubbed whole, not cut in half', async () => {
    const { fireHooks } = await import('../../harness/hooks/fire.ts');
    const { runOf, pairs } = await import('../helpers/gates.ts');
    const secret = 'SECRETVALUE-0123456789abcdef';
    // The secret ends 3,990 characters before the end: the 4,000-character tail would start inside it.
    const code = `process.stdout.write(${JSON.stringify(secret)} + 'x'.repeat(3990))`;
    const run = runOf(pairs(1, () => ({}), () => ({})));
    const verdict = { status: 'fail' as const, policy: 'p', gates: [], reasons: [], evaluatedAt: new Date().toISOString() };
    const hooks = { pass: [], inconclusive: [], fail: [{ kind: 'exec' as const, argv: [process.execPath, '-e', code], shell: false, cwd: process.cwd(), env: {}, timeoutMs: 10_000, display: 'node' }] };
    const [r] = await fireHooks(hooks, { verdict, run, runJson: '/tmp/run.json', policy: { name: 'p', file: 'p.yaml' } }, { dryRun: false, secrets: [secret] });
    expect(r!.ok).toBe(true);
    expect(r!.stdoutTail.length).toBeLessThanOrEqual(4000);
    expect(r!.stdoutTail).not.toContain('0123456789abcdef'.slice(-10));
    expect(r!.stdoutTail).toContain('[redacted]');
  });
});

describe('secrets the config declares', () => {
  it('literal credential headers of targets, scenarios and contract steps are secrets; the run.json echo carries none of them', async () => {
    const { resolveConfig, redactedConfig } = await import('../../harness/config/load.ts');
    const ws = tempWorkspace([{ text: 'q' }]);
    const loaded = await resolveConfig(
      {
        targets: [
          { name: 'b', role: 'baseline', baseUrl: 'http://127.0.0.1:9', headers: { 'x-api-key': 'literal-key-abcdef' }, routes: { chat: 'POST /c', get: 'GET /g' } },
          { name: 'c', role: 'candidate', baseUrl: 'http://svc:lit-pass-999@127.0.0.1:9', routes: { chat: 'POST /c', get: 'GET /g' } },
        ],
        scenarios: [{ name: 's', route: 'chat', prompts: ws.promptsFile, headers: { cookie: 'session=literal-cookie-77' } }],
        load: { vus: 1, iterations: 1 },
        contracts: { flows: [{ name: 'f', steps: [{ name: 's', route: 'get', headers: { authorization: 'Bearer literal-step-token' } }] }] },
      },
      'c.json',
      {},
    );
    const echo = JSON.stringify(new Scrubber(loaded.secrets).scrubDeep(redactedConfig(loaded)));
    for (const leak of ['literal-key-abcdef', 'literal-cookie-77', 'literal-step-token', 'lit-pass-999']) expect(echo).not.toContain(leak);
    expect(loaded.candidate.headers.authorization).toBe(`Basic ${Buffer.from('svc:lit-pass-999').toString('base64')}`);
  });
});
