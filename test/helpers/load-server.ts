import type http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A backend whose answers slow down with the load it carries: each request waits
 * `perRequestMs × (1 + arrivals in the last windowMs / perWindow)`, read from the server's own
 * clock when it arrives (a server-side stamp, not the client's timing). Two such servers fed the
 * same rate answer in the same time (times their own `perRequestMs`); one fed twice the rate is
 * slower. It counts every request it got, by method, so a test asserts the load each
 * target carried without timing anything.
 */
export function loadSensitive(o: { perRequestMs: number; windowMs: number; perWindow: number; answer?: (req: http.IncomingMessage, body: string) => { status: number; body: unknown } }): {
  handler: http.RequestListener;
  count(): number;
  counts: Map<string, number>;
} {
  const arrivals: number[] = [];
  const counts = new Map<string, number>();
  let n = 0;
  const handler: http.RequestListener = (req, res) => {
    const now = performance.now();
    arrivals.push(now);
    while (arrivals.length && arrivals[0]! < now - o.windowMs) arrivals.shift();
    const waitMs = o.perRequestMs * (1 + arrivals.length / o.perWindow);
    n++;
    counts.set(req.method!, (counts.get(req.method!) ?? 0) + 1);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const a = o.answer?.(req, body) ?? { status: 200, body: { ok: true } };
      setTimeout(() => res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body)), waitMs);
    });
  };
  return { handler, count: () => n, counts };
}
