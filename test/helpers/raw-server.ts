import { afterAll, beforeAll } from 'vitest';
import net, { type AddressInfo } from 'node:net';

/** One request as the bytes a raw server read: the request target, the head's lines, the body. */
export interface RawRequest {
  method: string;
  target: Buffer;
  header(name: string): Buffer | undefined;
  body: Buffer;
}

/**
 * A raw HTTP/1.1 server on 127.0.0.1 (listen(0)) that records each request's bytes and answers
 * `200 {}`. Node's own parser answers 400 to raw non-ASCII bytes in a request target (strict, as
 * some backends are; nginx and Go take them), and the tests using this are about the bytes sent.
 * Bodies are framed by content-length only (what undici sends for a known body).
 */
export async function startRawServer(): Promise<{ url: string; seen: RawRequest[]; close(): Promise<void> }> {
  const seen: RawRequest[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const header = (name: string) => {
          const l = lines.slice(1).find((x) => x.toLowerCase().startsWith(`${name}:`));
          return l === undefined ? undefined : Buffer.from(l.slice(name.length + 1).trim(), 'latin1');
        };
        const length = Number(header('content-length')?.toString() ?? 0);
        if (buf.length < end + 4 + length) return;
        const [method = '', target = ''] = lines[0]!.split(' ');
        seen.push({ method, target: Buffer.from(target, 'latin1'), header, body: Buffer.from(buf.subarray(end + 4, end + 4 + length)) });
        buf = buf.subarray(end + 4 + length);
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Two raw servers (baseline, candidate) started before a describe block's tests and closed after them. */
export function useRawServers(): Awaited<ReturnType<typeof startRawServer>>[] {
  const servers: Awaited<ReturnType<typeof startRawServer>>[] = [];
  beforeAll(async () => {
    servers.push(await startRawServer(), await startRawServer());
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  return servers;
}
