import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WarmConnector } from '../../harness/targets/preconnect.ts';

describe('WarmConnector: connections opened before the first request', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  async function serve(): Promise<{ url: string; sockets: Socket[]; served: string[] }> {
    const sockets: Socket[] = [];
    const served: string[] = [];
    server = createServer((req, res) => {
      served.push(`${sockets.indexOf(req.socket)} ${req.url}`);
      // Slow enough that two requests overlap and need two connections.
      setTimeout(() => res.end('ok'), 30);
    });
    server.on('connection', (s: Socket) => sockets.push(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, served };
  }

  it('the pool sends its first requests on the connections opened ahead, and connects as usual once they are used', async () => {
    const { url, sockets, served } = await serve();
    const warm = new WarmConnector(url, 2000);
    const pool = new Pool(url, { connect: warm.connect });
    await warm.open(2);
    await sleep(20);
    // Connected before any request.
    expect(sockets).toHaveLength(2);
    expect(served).toEqual([]);
    const get = (p: string) => pool.request({ method: 'GET', path: p }).then((r) => r.body.text());
    expect(await Promise.all([get('/a'), get('/b')])).toEqual(['ok', 'ok']);
    // Both on the sockets opened ahead: no new connection.
    expect(sockets).toHaveLength(2);
    expect(served.map((s) => s.split(' ')[0]).sort()).toEqual(['0', '1']);
    // More at once than the connections opened ahead: the pool connects then, as without the connector.
    expect(await Promise.all([get('/c'), get('/d'), get('/e')])).toEqual(['ok', 'ok', 'ok']);
    expect(sockets.length).toBeGreaterThan(2);
    warm.close();
    await pool.close();
  });

  it('a connection the server closed while waiting is skipped, not handed to the pool', async () => {
    const { url, sockets, served } = await serve();
    const warm = new WarmConnector(url, 2000);
    const pool = new Pool(url, { connect: warm.connect });
    await warm.open(1);
    await sleep(20);
    sockets[0]!.destroy();
    await sleep(20);
    expect(await pool.request({ method: 'GET', path: '/x' }).then((r) => r.body.text())).toBe('ok');
    expect(sockets).toHaveLength(2);
    expect(served).toEqual(['1 /x']);
    warm.close();
    await pool.close();
  });
});
