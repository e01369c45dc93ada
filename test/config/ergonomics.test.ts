import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../harness/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';

/** What the server received: method, URL and body of every request. */
type Seen = { method: string; url: string; body: string };

describe('config ergonomics: literal routes without a route map, prompt-less scenarios, ${VAR} in paths and bodies, YAML errors with line and column', () => {
  let server: http.Server;
  let url: string;
  const seen: Seen[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body });
        if (req.method === 'GET') return void res.writeHead(200).end('ok');
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('runs a YAML config with no routes map and no prompts; health path, route path and body take ${VAR}, and the values stay out of run.json', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws.dir, 'parity.config.yaml');
    writeFileSync(
      file,
      [
        'name: ergonomics',
        'targets:',
        `  - { name: a, role: baseline, baseUrl: "${url}", health: ["\${HEALTH_PATH}"], routes: { chat: "POST \${CHAT_PATH}" } }`,
        `  - { name: b, role: candidate, baseUrl: "${url}", routes: { chat: "POST \${CHAT_PATH}" } }`,
        'scenarios:',
        '  - name: literal',
        '    route: POST /literal/stream',
        '    body: { q: fixed, key: "${API_KEY}", n: "{{iteration}}" }',
        '  - name: mapped',
        '    route: chat',
        '    body: { q: other }',
        'load: { vus: 2, iterations: 6, timeouts: { total: 5s } }',
        'preflight: { retries: 0 }',
        '',
      ].join('\n'),
    );
    const env = { HEALTH_PATH: '/ops/health-env', CHAT_PATH: '/chat/from-env', API_KEY: 'key-from-the-environment' };
    const r = await runCli(['run', file, '--out', ws.out, '--quiet'], env);
    expect(r.code, r.stderr + r.stdout).toBe(ExitCode.pass);
    expect(seen.filter((s) => s.method === 'GET').map((s) => s.url)).toEqual(['/ops/health-env']);
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.filter((s) => s.url === '/literal/stream')).toHaveLength(6); // 3 pairs
    expect(posts.filter((s) => s.url === '/chat/from-env')).toHaveLength(6);
    expect(JSON.parse(posts.find((s) => s.url === '/literal/stream')!.body)).toMatchObject({ q: 'fixed', key: 'key-from-the-environment' });
    const runJson = /run\.json: (.*)/.exec(r.stdout)![1]!.trim();
    const text = readFileSync(path.resolve(runJson), 'utf8');
    expect(text).not.toContain('key-from-the-environment');
    expect(text).toContain('${API_KEY}');
    expect(JSON.parse(text).summaries.map((s: { scenario: string }) => s.scenario).sort()).toEqual(['literal', 'mapped']);
  });

  it('a prompt-less scenario whose body needs {{prompt}}, an unset ${VAR} in a health path, an unknown logical route: exit 3 at each path', async () => {
    const ws = tempWorkspace();
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        targets: [
          { name: 'a', role: 'baseline', baseUrl: url, health: ['${PARITY_TEST_UNSET_HEALTH}'] },
          { name: 'b', role: 'candidate', baseUrl: url },
        ],
        scenarios: [
          { name: 's', route: 'POST /x' },
          { name: 't', route: 'chat', body: { q: 1 } },
        ],
        load: { vus: 1, iterations: 2 },
      }),
    );
    const before = seen.length;
    const r = await runCli(['validate', ws.configFile], {});
    expect(r.code).toBe(ExitCode.error);
    expect(r.stderr).toMatch(/→ at scenarios\[1\]\.route/);
    // Schema problems come first; fixed, the load-time ones follow.
    const fixed = JSON.parse(readFileSync(ws.configFile, 'utf8'));
    fixed.scenarios.pop();
    writeFileSync(ws.configFile, JSON.stringify(fixed));
    const r2 = await runCli(['validate', ws.configFile], {});
    expect(r2.code).toBe(ExitCode.error);
    expect(r2.stderr).toMatch(/PARITY_TEST_UNSET_HEALTH is not set[\s\S]*→ at targets\[0\]\.health\[0\]/);
    expect(r2.stderr).toMatch(/body uses \{\{prompt\}\}[\s\S]*→ at scenarios\[0\]\.prompts/);
    expect(seen.length).toBe(before);
  });

  it('YAML: an unquoted {{prompt}} and a bad indent are reported at file:line:column with the fix', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws.dir, 'bad.yaml');
    writeFileSync(file, ['targets:', '  - { name: a, role: baseline, baseUrl: "http://x" }', 'scenarios:', '  - name: s', '    route: POST /chat', '    body:', '      message: {{prompt}}', ''].join('\n'));
    const r = await runCli(['validate', file], {});
    expect(r.code).toBe(ExitCode.error);
    expect(r.stderr).toContain(`${file}:7:16`);
    expect(r.stderr).toMatch(/quote a value that starts with \{\{ \.\.\. \}\}: "\{\{prompt\}\}"/);
    const indent = path.join(ws.dir, 'indent.yaml');
    writeFileSync(indent, 'name: x\ntargets:\n  - name: a\n   role: baseline\n');
    const r2 = await runCli(['validate', indent], {});
    expect(r2.code).toBe(ExitCode.error);
    expect(r2.stderr).toMatch(new RegExp(`not valid YAML at ${indent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: .*indentation`));
  });

  it('${VAR} in literal routes of stream, request and flow scenarios is filled (it went out as the text ${TENANT}); unset: exit 3 at each route, nothing sent; the value stays out of run.json', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws.dir, 'literal-env.config.yaml');
    writeFileSync(
      file,
      [
        'name: literal-env',
        'targets:',
        `  - { name: a, role: baseline, baseUrl: "${url}" }`,
        `  - { name: b, role: candidate, baseUrl: "${url}" }`,
        'scenarios:',
        '  - { name: chat, route: "POST /t/${TENANT}/chat", body: { q: hi } }',
        '  - { name: items, type: request, route: "GET /t/${TENANT}/items" }',
        '  - { name: flow, type: flow, steps: [{ name: one, route: "GET /t/${TENANT}/flow" }] }',
        'load: { vus: 1, iterations: 3 }',
        'preflight: { retries: 0 }',
        '',
      ].join('\n'),
    );
    const before = seen.length;
    const unset = await runCli(['run', file, '--out', ws.out, '--quiet'], {});
    expect(unset.code).toBe(ExitCode.error);
    for (const i of [0, 1, 2]) expect(unset.stderr).toMatch(new RegExp(`environment variable TENANT is not set[^\\n]*\\n\\s*→ at scenarios\\[${i}\\]\\.(route|steps\\[0\\]\\.route)`));
    expect(seen.length).toBe(before);

    const r = await runCli(['run', file, '--out', ws.out, '--quiet'], { TENANT: 'tenant-from-env-7' });
    expect(r.code, r.stderr + r.stdout).toBe(ExitCode.pass);
    const urls = seen.slice(before).map((x) => x.url);
    expect(urls.filter((u) => u.includes('${')).length).toBe(0);
    expect(new Set(urls)).toEqual(new Set(['/t/tenant-from-env-7/chat', '/t/tenant-from-env-7/items', '/t/tenant-from-env-7/flow']));
    const runJson = readFileSync(path.resolve(/run\.json: (.*)/.exec(r.stdout)![1]!.trim()), 'utf8');
    expect(runJson).not.toContain('tenant-from-env-7');
  });
});
