/**
 * The throughput benchmark's server, run in a process of its own: a plain node:http server that
 * answers every request with the same small response (one JSON event in SSE framing, so parity's
 * stream probe reads it like any other client). Prints `listening <url>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = 'data: {"ok":true,"n":1}\n\ndata: [DONE]\n\n';
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', 1024, () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
