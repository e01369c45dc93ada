import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { allText } from '../helpers/reports-dir.ts';

/**
 * A flow logs in on each target, captures the session token and sends it as `Bearer {{token}}`.
 * The backend answers `GET /me` with the token echoed in plain fields (`session`, `note`), and the
 * candidate adds a field, so the step really drifts and its pairs are kept for diffs/*.json. The
 * token is each target's own credential, no config secret: before, it reached run.json, summary.md,
 * report.html and junit.xml (the login step's drift example at `/token`: only diffs/*.json hid a
 * credential-named field) and diffs/*.json (the drifting step's whole responses).
 */
describe("a flow's captured credentials, echoed in response bodies, reach no output", () => {
  const issued: string[] = [];
  const servers: http.Server[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    let n = 0;
    for (const extra of [false, true]) {
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          if (req.url === '/login') {
            const token = `sess-${String(n++).padStart(4, '0')}-a1b2c3d4e5f6`;
            issued.push(token);
            return void res.end(JSON.stringify({ token }));
          }
          const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
          res.end(JSON.stringify({ user: 'qa', session: token, note: `signed in with ${token}`, ...(extra ? { plan: 'pro' } : {}) }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  const steps = [
    { name: 'login', route: 'POST /login', body: { user: 'qa' }, capture: { token: '$.token' } },
    { name: 'me', route: 'GET /me', headers: { authorization: 'Bearer {{token}}' } },
  ];
  const targets = () => [
    { name: 'base', role: 'baseline', baseUrl: urls[0], routes: {} },
    { name: 'cand', role: 'candidate', baseUrl: urls[1], routes: {} },
  ];

  function leaks(dir: string): string[] {
    const out: string[] = [];
    for (const [file, text] of allText(dir)) for (const t of issued) if (text.includes(t)) out.push(`${path.relative(dir, file)}: ${t}`);
    return out;
  }

  it('a flow scenario compared under load: drift examples, diffs/*.json and the reports', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const config = {
      targets: targets(),
      scenarios: [{ type: 'flow', name: 'session', compare: 'all', steps }],
      load: { vus: 2, iterations: 4, warmup: 0 },
      preflight: { retries: 0, interval: 10 },
    };
    writeFileSync(ws.configFile, JSON.stringify(config));
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'load', '--quiet']);
    expect(r.stderr).not.toMatch(/HARNESS_ERROR/);
    const run = JSON.parse(readFileSync(path.join(ws.out, 'load', 'run.json'), 'utf8')) as { contracts: { step: string; drifted: number; drift: { pointer: string; example: { baseline: unknown } }[] }[] };
    const by = Object.fromEntries(run.contracts.map((c) => [c.step, c]));
    // The tokens differ per target, the candidate's extra field is drift: both steps drifted, and were written.
    expect(by.login!.drifted).toBe(4);
    expect(by.login!.drift[0]).toMatchObject({ pointer: '/token', example: { baseline: '[redacted string]' } });
    expect(by.me!.drift.map((d) => d.pointer)).toContain('/plan');
    const diffs = readdirSync(path.join(ws.out, 'load', 'diffs'));
    const me = diffs.map((f) => readFileSync(path.join(ws.out, 'load', 'diffs', f), 'utf8')).filter((t) => t.includes('"step": "me"'));
    expect(me.length).toBeGreaterThan(0);
    // The echo is there, with the token taken out (the rest of the body stays readable).
    expect(me[0]).toContain('signed in with [redacted]');
    expect(issued.length).toBeGreaterThanOrEqual(8);
    expect(leaks(ws.out)).toEqual([]);
  });

  it('a contract flow (`contracts.flows`): run.json, the step artifacts and the reports', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const before = issued.length;
    writeFileSync(ws.configFile, JSON.stringify({ targets: targets(), contracts: { noise: false, flows: [{ name: 'session', repeat: 3, steps }] } }));
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'contract', '--quiet']);
    expect(r.stderr).not.toMatch(/HARNESS_ERROR/);
    expect(issued.length - before).toBe(6);
    const artifacts = readdirSync(path.join(ws.out, 'contract', 'contracts'));
    expect(artifacts).toContain('session-me.md');
    expect(readFileSync(path.join(ws.out, 'contract', 'contracts', 'session-me.md'), 'utf8')).toContain('signed in with [redacted]');
    expect(leaks(ws.out)).toEqual([]);
  });

  it('snapshots: a recorded answer echoing the token stores "[redacted]", and a compare against a new login finds no drift', async () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    const before = issued.length;
    // Only the baseline (no extra field) is recorded and compared: a new token per login, the same contract.
    const [base] = targets();
    writeFileSync(ws.configFile, JSON.stringify({ targets: [base, { ...base, name: 'again', role: 'candidate' }], contracts: { noise: false, snapshots: 'snaps', flows: [{ name: 'session', steps }] } }));
    const rec = await runCli(['snapshot', 'record', ws.configFile]);
    expect(rec.code, rec.stderr).toBe(0);
    const stored = readFileSync(path.join(ws.dir, 'snaps', 'session', 'me.json'), 'utf8');
    expect(stored).toContain('signed in with [redacted]');
    const cmp = await runCli(['snapshot', 'compare', ws.configFile, '--out', ws.out, '--run-id', 'cmp']);
    expect(cmp.code, cmp.stdout + cmp.stderr).toBe(0);
    expect(issued.length - before).toBe(2);
    expect(leaks(ws.dir)).toEqual([]);
  });
});
