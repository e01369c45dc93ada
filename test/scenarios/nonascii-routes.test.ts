import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { useRawServers } from '../helpers/raw-server.ts';

/**
 * undici writes a request path one byte per character: a request scenario's, flow step's or
 * contract step's literal route `GET /größe` went out as the Latin-1 bytes 2F 67 72 F6 DF 65 (seen
 * by the raw server below; node:http answers 400 to them), where the same route in a target's map
 * or a stream scenario was refused with the percent-encoded fix. Now refused alike, before any
 * traffic. What `{{vars}}` and captures put in a path at run time is percent-encoded as UTF-8.
 */
describe('non-ASCII in the literal routes of request and flow scenarios and contract steps', () => {
  const servers = useRawServers();
  const targets = () => [
    { name: 'base', role: 'baseline', baseUrl: servers[0]!.url },
    { name: 'cand', role: 'candidate', baseUrl: servers[1]!.url },
  ];

  it('is a config error naming the field and the percent-encoded fix (exit 3); nothing is sent', async () => {
    const ws = tempWorkspace();
    writeFileSync(
      ws.configFile,
      JSON.stringify({
        targets: targets(),
        scenarios: [
          { type: 'request', name: 'size', route: 'GET /größe' },
          { type: 'flow', name: 'menu', steps: [{ name: 'list', route: 'GET /menu' }, { name: 'dish', route: 'GET /menu/café' }] },
        ],
        contracts: { flows: [{ name: 'c', steps: [{ name: 'one', route: 'GET /straße/{{run_id}}' }] }] },
        load: { vus: 1, iterations: 1 },
        preflight: { retries: 0, interval: 10 },
      }),
    );
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('PARITY_CONFIG_INVALID');
    expect(r.stderr).toContain(`${ws.configFile}: 3 problems; nothing was sent.`);
    expect(r.stderr).toMatch(/Latin-1 byte 0xF6.*percent-encode it: "\/gr%C3%B6%C3%9Fe"\n\s*→ at scenarios\[0\]\.route\n/);
    expect(r.stderr).toMatch(/percent-encode it: "\/menu\/caf%C3%A9"\n\s*→ at scenarios\[1\]\.steps\[1\]\.route\n/);
    expect(r.stderr).toMatch(/percent-encode it: "\/stra%C3%9Fe\/\{\{run_id\}\}"\n\s*→ at contracts\.flows\[0\]\.steps\[0\]\.route\n/);
    expect(servers.flatMap((s) => s.seen.splice(0))).toEqual([]);
  });

  it('the fix goes out as written; a var or a captured value with non-ASCII text is sent percent-encoded as UTF-8', async () => {
    // node:http, strict as many backends are: it would answer 400 to a raw non-ASCII byte.
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'crème/日本' }));
    });
    server.on('clientError', (_e, socket) => (seen.push('400'), socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ws = tempWorkspace();
      writeFileSync(
        ws.configFile,
        JSON.stringify({
          targets: [
            { name: 'base', role: 'baseline', baseUrl: `${url}/b` },
            { name: 'cand', role: 'candidate', baseUrl: `${url}/c` },
          ],
          scenarios: [
            { type: 'request', name: 'size', route: 'GET /gr%C3%B6%C3%9Fe' },
            { type: 'flow', name: 'lots', vars: { size: 'größe' }, steps: [{ name: 'make', route: 'POST /lots', capture: { id: '$.id' } }, { name: 'get', route: 'GET /lots/{{id}}/{{size}}' }] },
          ],
          load: { vus: 1, iterations: 4 },
          preflight: { retries: 0, interval: 10 },
        }),
      );
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(new Set(seen)).toEqual(
        new Set(['b', 'c'].flatMap((side) => [`GET /${side}/gr%C3%B6%C3%9Fe`, `POST /${side}/lots`, `GET /${side}/lots/cr%C3%A8me%2F%E6%97%A5%E6%9C%AC/gr%C3%B6%C3%9Fe`])),
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
