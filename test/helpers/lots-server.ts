import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigInput } from '../../harness/config/schema.ts';

/**
 * A minimal lots backend on 127.0.0.1 port 0: `POST /lots` with `{ code }` creates the code once in
 * `db` (201 `{ id, code }`; a repeat is 409, as a unique key refuses it); any other request answers
 * 200 `{ id }` (the last path segment), or 500 with `failReads` (`onRead` counts them). Pass one
 * `db` to two servers for backends sharing a database. Closed with the `servers` list.
 */
export function lotsServer(servers: http.Server[], o: { db: Set<string>; failReads?: boolean; onRead?: () => void }): Promise<string> {
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/lots') {
        const code = (JSON.parse(body) as { code: string }).code;
        if (o.db.has(code)) {
          res.writeHead(409);
          return res.end('{"error":"lot code exists"}');
        }
        o.db.add(code);
        res.writeHead(201);
        return res.end(JSON.stringify({ id: code, code }));
      }
      if (o.failReads) {
        o.onRead?.();
        res.writeHead(500);
        return res.end('{"error":"boom"}');
      }
      res.end(JSON.stringify({ id: decodeURIComponent(req.url!.slice(req.url!.lastIndexOf('/') + 1)) }));
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

/**
 * Baseline at `b`, candidate at `c`, one flow `lots` creating `LOT-{{iteration}}` (the same code on
 * every side, not unique per side) and reading it back by the captured id, at 40 starts/s for 2.5 s
 * after a 0.5 s warm-up; `flow` adds to the flow (`compare`, `noise`).
 */
export function lotsFlowConfig(b: string, c: string, flow: { compare?: 'all'; noise?: boolean } = {}): ConfigInput {
  return {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: b, routes: {} },
      { name: 'new', role: 'candidate', baseUrl: c, routes: {} },
    ],
    scenarios: [
      {
        type: 'flow',
        name: 'lots',
        ...flow,
        vars: { code: 'LOT-{{iteration}}' },
        steps: [
          { name: 'create', route: 'POST /lots', body: { code: '{{code}}' }, capture: { id: '$.id' } },
          { name: 'get', route: 'GET /lots/{{id}}' },
        ],
      },
    ],
    load: { model: 'constant-arrival-rate', rate: 40, duration: '2500ms', warmup: '500ms', maxInFlight: 100, timeouts: { total: '10s' } },
    preflight: { retries: 0, interval: 10 },
  };
}
