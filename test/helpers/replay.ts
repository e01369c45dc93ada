import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request as the tests record it: what a capture format must give back. */
export interface Recorded {
  t: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** HAR 1.2 as devtools export it: the document, pretty-printed over many lines (as exports are). */
export function writeHar(file: string, reqs: Recorded[], origin = 'http://example.test'): void {
  const entries = reqs.map((r) => ({
    startedDateTime: new Date(r.t).toISOString(),
    time: 12,
    request: {
      method: r.method,
      url: origin + r.path,
      httpVersion: 'HTTP/1.1',
      headers: Object.entries(r.headers).map(([name, value]) => ({ name, value })),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: r.body ? Buffer.byteLength(r.body) : 0,
      ...(r.body !== undefined ? { postData: { mimeType: r.headers['content-type'] ?? 'application/json', text: r.body } } : {}),
    },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 2, mimeType: 'application/json', text: '{"entries": [1]}' }, redirectURL: '', headersSize: -1, bodySize: 2 },
    cache: {},
    timings: { send: 0, wait: 10, receive: 2 },
  }));
  writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 'parity-test "entries"', version: '1' }, pages: [], entries } }, null, 2));
}

/** GoReplay's file format: `1 <id> <ts ns> <latency>` + raw HTTP request, separator line; a response (type 2) after each. */
export function gorText(reqs: Recorded[]): string {
  return reqs
    .map((r, i) => {
      const id = (0xabc000 + i).toString(16);
      const head = [`${r.method} ${r.path} HTTP/1.1`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), ...(r.body !== undefined ? [`content-length: ${Buffer.byteLength(r.body)}`] : [])].join('\r\n');
      const request = `1 ${id} ${BigInt(r.t) * 1_000_000n} 0\n${head}\r\n\r\n${r.body ?? ''}`;
      const response = `2 ${id} ${BigInt(r.t + 5) * 1_000_000n} 5000000\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}`;
      return `${request}\n🐵🙈🙉\n${response}\n🐵🙈🙉\n`;
    })
    .join('');
}

/** parity's own capture (`parity shadow --capture`). */
export function parityLines(reqs: Recorded[]): string {
  return reqs.map((r, i) => JSON.stringify({ t: r.t, requestId: `r-${i}`, route: undefined, method: r.method, path: r.path, headers: r.headers, body: r.body })).join('\n') + '\n';
}

/** nginx `log_format parity escape=json` lines (README "Replay real traffic"). */
export function nginxLines(reqs: Recorded[]): string {
  return reqs.map((r) => JSON.stringify({ msec: (r.t / 1000).toFixed(3), request_method: r.method, request_uri: r.path, content_type: r.headers['content-type'] ?? '', accept: r.headers.accept ?? '', request_body: r.body ?? '', status: '200' })).join('\n') + '\n';
}

/**
 * A HAR recorded from a live chat backend: real SSE requests to `url` at the planned offsets (ms),
 * each written down with the moment it was sent, as devtools would. Returns the recorded offsets.
 */
export async function recordChatHar(file: string, url: string, plan: readonly number[]): Promise<number[]> {
  const reqs: Recorded[] = [];
  const sent: Promise<unknown>[] = [];
  const t0 = Date.now();
  for (const [i, at] of plan.entries()) {
    await sleep(Math.max(0, t0 + at - Date.now()));
    const headers = { accept: 'text/event-stream', 'content-type': 'application/json', 'x-request-id': `recorded-${i}` };
    const body = JSON.stringify({ messages: [{ role: 'user', content: `question ${i}` }] });
    reqs.push({ t: Date.now(), method: 'POST', path: '/chat-stream', headers, body });
    sent.push(fetch(`${url}/chat-stream`, { method: 'POST', headers, body }).then((r) => r.text()));
  }
  await Promise.all(sent);
  writeHar(file, reqs, url);
  return reqs.map((r) => r.t - reqs[0]!.t);
}

/** A replay config naming two targets (baseline, candidate) with short timeouts, its reports under `dir`. */
export function writeReplayConfig(dir: string, name: string, baseUrl: string, candUrl: string): string {
  const file = path.join(dir, `${name}.config.json`);
  const prompts = path.join(dir, `${name}.prompts.jsonl`);
  writeFileSync(prompts, '{"text":"hello"}\n');
  const cfg = {
    name,
    targets: [
      { name: 'base', role: 'baseline', baseUrl, routes: { items: 'GET /api/items' } },
      { name: 'cand', role: 'candidate', baseUrl: candUrl, routes: { items: 'GET /api/items' } },
    ],
    // The config's own scenario is not run by a replay (nor needed: test/replay/no-credentials.test.ts replays with targets alone).
    scenarios: [{ name: 'own', route: 'items', prompts }],
    load: { vus: 1, iterations: 1, timeouts: { firstEvent: '2s', idle: '1s', total: '5s' } },
    preflight: { retries: 0, interval: 10 },
    outDir: path.join(dir, 'reports'),
  };
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}
