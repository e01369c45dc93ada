/**
 * The throughput benchmark's server, run in a process of its own: a plain node:http server that
 * answers every request with the same small response (one JSON event in SSE framing, so parity's
 * stream probe reads it like any other client). Prints `listening <url>`.
 *
 * `GET /stats` answers (and resets) how many requests came in and their mean size (request line,
 * headers, body): the benchmark checks that every tool sent the server the same request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = 'data: {"ok":true,"n":1}\n\ndata: [DONE]\n\n';
let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    res.end(JSON.stringify({ requests, meanBytes: requests ? bytes / requests : 0 }));
    requests = bytes = 0;
    return;
  }
  // The load's requests only (not parity's preflight).
  const counted = req.method === 'POST';
  if (counted) {
    requests++;
    bytes += req.method!.length + req.url!.length + 11; // "POST /path HTTP/1.1\r\n"
    // `connection: keep-alive` is HTTP/1.1's default: wrk leaves it out, the others send it.
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() !== 'connection') bytes += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length + 4;
    bytes += 2;
  }
  req.on('data', (d: Buffer) => counted && (bytes += d.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', 1024, () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
