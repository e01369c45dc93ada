import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test servers on 127.0.0.1 port 0: `start(handler)` gives a server's URL; `close()` ends every one (call it in afterAll). */
export function testServers(): { start(handler: http.RequestListener): Promise<string>; close(): Promise<void> } {
  const servers: http.Server[] = [];
  return {
    async start(handler) {
      const s = http.createServer(handler);
      servers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    },
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))))).then(() => undefined),
  };
}
