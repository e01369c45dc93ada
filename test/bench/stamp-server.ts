/**
 * The clock bench's server: an SSE stream whose own timestamps are the truth a client's timings
 * are compared with. For every request (key: path + x-request-id) it keeps, in ns of the shared
 * monotonic clock, when the request arrived (the 'request' event), when it wrote the first content
 * event and when it wrote the terminal event. `GET /stamps[?paths=/a,/b]` returns them (those paths'
 * only) and forgets them.
 *   tsx test/bench/stamp-server.ts [events] [gapMs]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const EVENTS = Number(process.argv[2] ?? 4);
const GAP = Number(process.argv[3] ?? 5);
const stamps = new Map<string, { recv: number; first: number; done: number }>();
const ns = () => Number(process.hrtime.bigint());
const chunk = (i: number) => `data: {"choices":[{"delta":{"content":"token ${i} "}}]}\n\n`;

const server = http.createServer((req, res) => {
  const recv = ns();
  if (req.method === 'GET' && req.url?.startsWith('/stamps')) {
    // `?paths=/a,/b`: only those paths' stamps (returned and forgotten), so clients measuring at the same time each take their own.
    const paths = new URL(req.url, 'http://x').searchParams.get('paths')?.split(',');
    const mine = [...stamps].filter(([k]) => !paths || paths.includes(k.slice(0, k.indexOf('|'))));
    for (const [k] of mine) stamps.delete(k);
    const body = JSON.stringify(Object.fromEntries(mine));
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(body);
  }
  const key = `${req.url}|${String(req.headers['x-request-id'])}`;
  req.resume();
  req.on('end', () => {
    res.socket?.setNoDelay(true);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const s = { recv, first: 0, done: 0 };
    stamps.set(key, s);
    let i = 0;
    const next = () => {
      if (i === 0) s.first = ns();
      res.write(chunk(i++));
      if (i < EVENTS) return void setTimeout(next, GAP);
      setTimeout(() => {
        s.done = ns();
        res.end('data: [DONE]\n\n');
      }, GAP);
    };
    next();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
