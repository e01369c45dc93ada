/**
 * The throughput benchmark's server, run in a process of its own: a plain node:http server that
 * answers every request with the same small response (one JSON event in SSE framing, so parity's
 * stream probe reads it like any other client). Prints `listening <url>`.
 *
 * `GET /stats` answers (and resets) how many requests came in, their mean size (request line,
 * headers, body; the benchmark checks that every tool sent the server the same request) and how
 * many came in each second since the first one: the benchmark takes every client's rate from these
 * counts, the same way for all of them, and leaves out the first and last seconds (connections
 * opening, code not yet optimized by the JIT; the run winding down).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const BODY = 'data: {"ok":true,"n":1}\n\ndata: [DONE]\n\n';
let requests = 0;
let bytes = 0;
let firstAt = -1;
let perSecond: number[] = [];
const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    res.end(JSON.stringify({ requests, meanBytes: requests ? bytes / requests : 0, perSecond }));
    requests = bytes = 0;
    firstAt = -1;
    perSecond = [];
    return;
  }
  // The load's requests only (not parity's preflight).
  const counted = req.method === 'POST';
  if (counted) {
    requests++;
    const now = performance.now();
    if (firstAt < 0) firstAt = now;
    const sec = Math.floor((now - firstAt) / 1000);
    while (perSecond.length <= sec) perSecond.push(0);
    perSecond[sec]!++;
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
