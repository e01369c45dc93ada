import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sseWorkspace } from '../helpers/sse-server.ts';

/**
 * Header names are case-insensitive, but a config's headers were keyed as written: a target's
 * `X-Api-Key` and `x-api-key` became one header with the last value (the other never sent); a
 * stream scenario's `Authorization` went out *beside* the target's `authorization` (two lines:
 * node, like most servers, reads the first, the target's, so the scenario's never applied), its
 * `Content-Type` beside parity's own, and an `X-Request-Id` beside the pair's request id (the server
 * read "mine, <id>"). Each validated and went out other than written.
 */
describe('one header written twice (names differing in case), or one parity sets itself', () => {
  let server: http.Server;
  let url: string;
  const raws: string[][] = [];
  beforeAll(async () => {
    const body = 'event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n';
    server = http.createServer((req, res) => {
      raws.push(req.rawHeaders);
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  /** Each header line the server got, name lower-cased: [name, value][]. */
  const lines = (raw: string[]) => raw.flatMap((v, i) => (i % 2 ? [] : [[v.toLowerCase(), raw[i + 1]!] as const]));

  it('a scenario header replaces the target header of the same name, whatever its case; a content-type or accept given is sent as written, once', async () => {
    raws.length = 0;
    const ws = sseWorkspace(url, { vus: 1, iterations: 1 }, (cfg) => {
      cfg.targets[0]!.headers = { authorization: 'Bearer target-token-1' };
      cfg.targets[1]!.headers = { Authorization: 'Bearer target-token-2' };
      Object.assign(cfg.scenarios![0]!, { headers: { Authorization: 'Bearer scenario-token', 'Content-Type': 'application/vnd.chat+json' } });
    });
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--run-id', 'override', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(raws).toHaveLength(2);
    for (const raw of raws) {
      const got = lines(raw);
      expect(got.filter(([n]) => n === 'authorization')).toEqual([['authorization', 'Bearer scenario-token']]);
      expect(got.filter(([n]) => n === 'content-type')).toEqual([['content-type', 'application/vnd.chat+json']]);
      expect(got.filter(([n]) => n === 'accept')).toEqual([['accept', 'text/event-stream']]);
      expect(got.filter(([n]) => n === 'x-request-id')).toHaveLength(1);
    }
  });

  it('two spellings of one name in one headers object, or the request id header, are config errors at their paths (exit 3), nothing sent', async () => {
    raws.length = 0;
    const ws = sseWorkspace(url, { vus: 1, iterations: 1 }, (cfg) => {
      cfg.targets[0]!.headers = { 'X-Api-Key': 'key-one', 'x-api-key': 'key-two' };
      Object.assign(cfg.scenarios![0]!, { headers: { 'X-Request-Id': 'mine' } });
    });
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/header "x-api-key" is also given as "X-Api-Key" .*; keep one\n\s*→ at targets\[0\]\.headers\.x-api-key\n/);
    expect(r.stderr).toMatch(/header "X-Request-Id" is the requestIdHeader: .*remove it, or set requestIdHeader to another name\n\s*→ at scenarios\[0\]\.headers\.X-Request-Id\n/);
    expect(r.stderr).not.toMatch(/key-one|key-two/);
    expect(raws).toEqual([]);
  });

  it('a request or flow step or a contract step that sets the requestIdHeader is refused at its path (exit 3), nothing sent', async () => {
    // It was replaced by the pair's request id without a word, or, with a requestIdHeader written in
    // another case, went out as a second header line beside it (`x-corr: mine` and `X-Corr: <id>`).
    for (const [requestIdHeader, name] of [
      [undefined, 'X-Request-Id'],
      ['X-Corr', 'x-corr'],
    ] as const) {
      raws.length = 0;
      const ws = sseWorkspace(url, { vus: 1, iterations: 1 }, (cfg) => {
        if (requestIdHeader) cfg.requestIdHeader = requestIdHeader;
        cfg.scenarios!.push(
          { type: 'request', name: 'r', route: 'GET /r', headers: { [name]: 'mine' } },
          { type: 'flow', name: 'f', steps: [{ name: 'a', route: 'GET /a' }, { name: 'b', route: 'GET /b', headers: { accept: 'application/json', [name]: 'mine' } }] },
        );
        Object.assign(cfg, { contracts: { flows: [{ name: 'c', steps: [{ name: 's', route: 'GET /c', headers: { [name]: 'mine' } }] }] } });
      });
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/PARITY_CONFIG_INVALID/);
      for (const at of ['scenarios[1].headers', 'scenarios[2].steps[1].headers', 'contracts.flows[0].steps[0].headers']) {
        expect(r.stderr).toContain(`header "${name}" is the requestIdHeader: parity sets it to each pair's request id, so this value would never be sent; remove it, or set requestIdHeader to another name\n    → at ${at}.${name}\n`);
      }
      expect(raws).toEqual([]);
    }
  });

  it('in a contract step too', async () => {
    raws.length = 0;
    const ws = sseWorkspace(url, { vus: 1, iterations: 1 }, (cfg) => {
      Object.assign(cfg, { contracts: { flows: [{ name: 'f', steps: [{ name: 's', route: 'GET /x', headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } }] }] } });
    });
    const r = await runCli(['validate', ws.configFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/header "x-tenant" is also given as "X-Tenant" .*\n\s*→ at contracts\.flows\[0\]\.steps\[0\]\.headers\.x-tenant\n/);
  });
});
