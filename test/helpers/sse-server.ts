import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamConfig, tempWorkspace } from './config.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';

/** A named-events stream server on 127.0.0.1:0 that counts requests (proves "nothing was sent") and keeps their headers. */
export async function startSseServer(opts: { delayMs?: number } = {}): Promise<{ url: string; count(): number; headers: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  let n = 0;
  const headers: http.IncomingHttpHeaders[] = [];
  const body = 'event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n';
  const server = http.createServer((req, res) => {
    n++;
    headers.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (opts.delayMs) setTimeout(() => res.end(body), opts.delayMs);
    else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => n,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A temp workspace with a config (`ws.configFile`, written) that sends both targets' streams to `url`. */
export function sseWorkspace(url: string, load?: Parameters<typeof streamConfig>[0]['load'], edit: (c: ConfigInput) => void = () => undefined) {
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  const config = streamConfig({ baselineUrl: url, candidateUrl: url, promptsFile: ws.promptsFile, load });
  edit(config);
  writeFileSync(ws.configFile, JSON.stringify(config));
  return ws;
}
