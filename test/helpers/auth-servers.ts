import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * Two JSON backends on 127.0.0.1 (baseline k = 0, candidate k = 1) that check credentials: a
 * request whose `authorization` `accepts(k, value)` gets `200 {"id": <path>}`, any other `401`.
 * `seen[k]` holds the headers each one received. Started before the file's tests, closed after.
 */
export function useAuthServers(accepts: (k: number, authorization: string | undefined) => boolean): { urls: string[]; seen: IncomingHttpHeaders[][] } {
  const servers: Server[] = [];
  const out = { urls: [] as string[], seen: [[], []] as IncomingHttpHeaders[][] };
  beforeAll(async () => {
    for (let k = 0; k < 2; k++) {
      const s = createServer((req, res) => {
        out.seen[k]!.push(req.headers);
        req.resume();
        req.on('end', () => {
          const ok = accepts(k, req.headers.authorization);
          res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ id: req.url }) : '{"error":"unauthorized"}');
        });
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      out.urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
  });
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  return out;
}
