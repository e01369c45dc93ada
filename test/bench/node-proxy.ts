/**
 * Yardsticks for the shadow bench: the least a Node proxy adds on the baseline path, run beside
 * nginx and parity on the same core, nothing measured, nothing copied.
 * - `http`: a bare reverse proxy of parity's inline shape (a node:http server, an undici Pool
 *   dispatch to the backend, the response's headers and chunks written to the client as they
 *   arrive): what these two libraries cost before parity reads or copies anything;
 * - `tcp`: a relay of bytes (one backend connection per client connection, piped both ways,
 *   nothing parsed): what Node's sockets alone cost.
 * Usage: node-proxy.ts http|tcp <backend url>; prints "listening <url>".
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

const [mode, upstream] = process.argv.slice(2) as ['http' | 'tcp', string];
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'host', 'content-length']);

function httpProxy(): http.Server {
  const pool = new Pool(upstream, { connections: 512 });
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
      let resume: (() => void) | undefined;
      const handler: Dispatcher.DispatchHandler = {
        onConnect: () => undefined,
        onHeaders: (status, raw, r, statusText) => {
          resume = r;
          const flat: string[] = [];
          for (let i = 0; i + 1 < raw.length; i += 2) {
            const name = raw[i]!.toString('latin1');
            if (!HOP.has(name.toLowerCase())) flat.push(name, raw[i + 1]!.toString('latin1'));
          }
          res.writeHead(status, statusText, flat);
          res.flushHeaders();
          return true;
        },
        onData: (chunk: Buffer) => {
          if (res.write(chunk)) return true;
          res.once('drain', () => resume?.());
          return false;
        },
        onComplete: () => void res.end(),
        onError: () => (res.headersSent ? res.destroy() : res.writeHead(502).end()),
      };
      pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: chunks.length ? Buffer.concat(chunks) : null }, handler);
    });
  });
}

function tcpRelay(): net.Server {
  const u = new URL(upstream);
  return net.createServer((client) => {
    const backend = net.connect({ host: u.hostname, port: Number(u.port) });
    client.setNoDelay(true);
    backend.setNoDelay(true);
    client.pipe(backend);
    backend.pipe(client);
    const end = () => (client.destroy(), backend.destroy());
    for (const s of [client, backend]) s.on('error', end).on('close', end);
  });
}

const server = mode === 'tcp' ? tcpRelay() : httpProxy();
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
