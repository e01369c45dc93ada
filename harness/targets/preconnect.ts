import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/**
 * A target pool's connector that can open connections ahead of time: `open(n)` connects n
 * sockets (TCP, TLS for https) before any request, and the pool's first new connections take
 * those instead of connecting then. A schedule whose clock starts after `open` does not count a
 * connect (or a TLS handshake) against its first starts. A socket the server closed meanwhile is
 * skipped; unused ones are closed by `close`.
 */
export class WarmConnector {
  private readonly base: buildConnector.connector;
  private readonly ready: Socket[] = [];

  constructor(private readonly baseUrl: string, timeoutMs: number) {
    this.base = buildConnector({ timeout: timeoutMs });
  }

  /** The pool's `connect` option. */
  readonly connect: buildConnector.connector = (opts, callback) => {
    for (let s = this.ready.shift(); s; s = this.ready.shift()) {
      const socket = s;
      // Asynchronously, as a connect completes: undici's client does not expect its callback within the call.
      if (!s.destroyed && s.readable && s.writable) return queueMicrotask(() => callback(null, socket));
    }
    this.base(opts, callback);
  };

  /** Opens n connections (a failure is left to the requests: they measure it as connect errors). */
  async open(n: number): Promise<void> {
    const u = new URL(this.baseUrl);
    const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<void>((resolve) => {
            this.base({ hostname, host: u.host, protocol: u.protocol, port: u.port }, (err, socket) => {
              if (!err && socket) {
                // Until the pool takes it, an error (the server closing it) only retires it.
                socket.on('error', () => socket.destroy());
                this.ready.push(socket);
              }
              resolve();
            });
          }),
      ),
    );
  }

  close(): void {
    for (const s of this.ready.splice(0)) s.destroy();
  }
}
