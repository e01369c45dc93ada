import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A step of a scripted response: bytes to write, or a pause. */
export type Step = { write: Buffer | string } | { wait: number };

/**
 * A server on 127.0.0.1:0 that answers every request with 200 text/event-stream and then plays
 * `script(req)`: writes and waits, each write its own TCP segment (no Nagle), then ends.
 */
export async function startScriptedServer(script: () => Step[]): Promise<{ url: string; close(): Promise<void>; requests: number }> {
  const state = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    state.requests++;
    req.resume();
    res.socket?.setNoDelay(true);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (const step of script()) {
      if ('wait' in step) await new Promise((r) => setTimeout(r, step.wait));
      else await new Promise<void>((r) => res.write(step.write, () => setImmediate(r)));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Splits bytes into chunks of the given sizes (cycled). */
export function chunkBytes(bytes: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes());
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}
