import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStreamPlaceholders } from '../../harness/config/stream-placeholders.ts';
import type { ConfigIssue } from '../../harness/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace, startSseServer } from '../helpers/sse-server.ts';

/**
 * A stream scenario's `{{placeholder}}` that parity does not fill (a typo) was sent as written in
 * every request, to both targets alike: the run measured a request nobody meant, and passed
 * validation. Headers were never filled at all (`x-session: "{{session_id}}"` went out literally).
 */
describe('stream scenario placeholders', () => {
  const issuesFor = (s: { body?: unknown; sessionId?: string; headers?: Record<string, string> }) => {
    const issues: ConfigIssue[] = [];
    checkStreamPlaceholders({ body: s.body ?? { message: '{{prompt}}' }, sessionId: s.sessionId ?? 'parity-{{iteration}}', headers: s.headers ?? {} }, 0, issues);
    return issues;
  };

  it('accepts every placeholder parity fills, spaces inside the braces too', () => {
    expect(issuesFor({ body: { m: '{{prompt}}', s: '{{ session_id }}', i: ['{{iteration}}', { r: 'x-{{request_id}}' }], n: 3, t: 'plain {text}' } })).toEqual([]);
    expect(issuesFor({ sessionId: 's-{{request_id}}-{{prompt}}', headers: { 'x-i': '{{iteration}}' } })).toEqual([]);
    expect(issuesFor({ headers: { 'x-session': '{{session_id}}', 'x-r': 'r/{{request_id}}' } })).toEqual([]);
  });

  it('names each unknown one with its path and the nearest known name', () => {
    const issues = issuesFor({ body: { message: 'hi {{promtp}}', meta: [{ user: '{{Session_Id}}' }] }, sessionId: 'p-{{iter}}', headers: { 'x-p': '{{prompt}}' } });
    expect(issues.map((i) => i.path)).toEqual(['scenarios[0].body.message', 'scenarios[0].body.meta[0].user', 'scenarios[0].sessionId', 'scenarios[0].headers.x-p']);
    expect(issues[0]!.message).toMatch(/\{\{promtp\}\}.*sent as written.*did you mean \{\{prompt\}\}\?.*prompt set/);
    expect(issues[1]!.message).toMatch(/did you mean \{\{session_id\}\}\?/);
    expect(issues[2]!.message).toMatch(/sessionId may use \{\{prompt\}\}, \{\{iteration\}\}, \{\{request_id\}\}/);
    // {{prompt}} is known in a body, not in a header: a prompt's text is no header value.
    expect(issues[3]!.message).toMatch(/headers may use \{\{session_id\}\}, \{\{iteration\}\}, \{\{request_id\}\}/);
  });

  it('refuses a session id made from the prompt in a header', () => {
    const issues = issuesFor({ sessionId: 's-{{prompt}}', headers: { 'x-session': '{{session_id}}' } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/made from \{\{prompt\}\}/);
  });

  describe('through the CLI, against a server that keeps every request\'s headers', () => {
    let server: Awaited<ReturnType<typeof startSseServer>>;
    beforeAll(async () => {
      server = await startSseServer();
    });
    afterAll(() => server.close());

    it('a typo is a config error before any traffic (exit 3, the path, the fix)', async () => {
      const ws = sseWorkspace(server.url, { vus: 1, iterations: 2 }, (cfg) => {
        Object.assign(cfg.scenarios![0]!, { body: { message: '{{prompt}}', session: '{{sesion_id}}' } });
      });
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
      expect(r.stderr).toMatch(/scenarios\[0\]\.body\.session/);
      expect(r.stderr).toMatch(/did you mean \{\{session_id\}\}/);
      expect(server.count()).toBe(0);
      const v = await runCli(['validate', ws.configFile]);
      expect(v.code, v.stderr).toBe(3);
    });

    it('header placeholders are filled per request, the same on both targets of a pair', async () => {
      const ws = sseWorkspace(server.url, { vus: 1, iterations: 3 }, (cfg) => {
        Object.assign(cfg.scenarios![0]!, { sessionId: 'sess-{{iteration}}', headers: { 'x-session': '{{session_id}}', 'x-trace': 't-{{request_id}}', 'x-fixed': 'f' } });
      });
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'hdr', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      const got = server.headers.map((h) => [h['x-session'], h['x-trace'], h['x-fixed'], h['x-request-id']]);
      expect(got).toHaveLength(6);
      for (const [session, trace, fixed, rid] of got) {
        expect(fixed).toBe('f');
        expect(trace).toBe(`t-${rid}`);
        expect(session).toMatch(/^sess-\d+$/);
      }
      // Each pair's two requests carry the same filled values; three iterations, three sessions.
      expect(new Set(got.map((g) => g[0])).size).toBe(3);
      expect(new Set(got.map((g) => g.join('|'))).size).toBe(3);
    });
  });

  it('a request scenario\'s undefined variable names the nearest defined one, once per path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parity-ph-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(
      file,
      [
        'targets:',
        '  - { name: a, role: baseline, baseUrl: "http://127.0.0.1:9", routes: {} }',
        '  - { name: b, role: candidate, baseUrl: "http://127.0.0.1:9", routes: {} }',
        'scenarios:',
        '  - { name: s, type: request, route: "POST /x/{{idd}}", body: { n: "{{itteration}}" } }',
        'load: { vus: 1, iterations: 1 }',
      ].join('\n'),
    );
    const r = await runCli(['validate', file]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/"\{\{itteration\}\}" is never defined; did you mean "\{\{iteration\}\}"\?/);
    // The route is checked for each target: the same problem is said once.
    expect(r.stderr.match(/\{\{idd\}\}/g)).toHaveLength(1);
  });
});
