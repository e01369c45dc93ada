import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server that counts every request it gets and answers 200 "{}": proves "nothing was sent". */
export async function startCountingServer(): Promise<{ url: string; count(): number; connections(): number; close(): Promise<void> }> {
  let n = 0;
  let conns = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.on('connection', () => conns++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => n,
    connections: () => conns,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
