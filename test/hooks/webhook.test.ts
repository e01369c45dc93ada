import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookHook } from '../../harness/hooks/resolve.ts';
import { postWebhook } from '../../harness/hooks/webhook.ts';

interface Received {
  at: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

/** A receiver on 127.0.0.1:0 answering request k with statuses[k] (the last one repeats); null = never answer. */
async function receiver(statuses: (number | null)[]): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const status = statuses[Math.min(got.length, statuses.length - 1)]!;
      got.push({ at: Date.now(), body, headers: req.headers });
      if (status === null) return;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`answer ${got.length}`);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const hook = (url: string, over: Partial<WebhookHook> = {}): WebhookHook => ({ kind: 'webhook', url, headers: { authorization: 'Bearer t0ken' }, timeoutMs: 2000, retries: 2, backoffMs: 80, display: url, ...over });
const BODY = JSON.stringify({ event: 'fail', verdict: { status: 'fail' } });

describe('webhook hooks', () => {
  it('a webhook that answers 500 is retried with backoff, then reported', async () => {
    const r = await receiver([500]);
    const out = await postWebhook(hook(r.url), BODY);
    expect(r.got).toHaveLength(3);
    expect(out).toMatchObject({ httpStatus: 500, attempts: 3, timedOut: false, body: 'answer 3' });
    expect(out.error).toBe('HTTP 500 after 3 attempts');
    // backoff 80 ms, then 160 ms (timer tolerance on a busy machine: never early, at most a little late)
    const gaps = [r.got[1]!.at - r.got[0]!.at, r.got[2]!.at - r.got[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(75);
    expect(gaps[1]).toBeGreaterThanOrEqual(155);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    // Every attempt carries the verdict JSON and the configured headers.
    for (const g of r.got) {
      expect(JSON.parse(g.body)).toEqual(JSON.parse(BODY));
      expect(g.headers['content-type']).toBe('application/json');
      expect(g.headers.authorization).toBe('Bearer t0ken');
    }
  });

  it('succeeds on a later attempt after a 503', async () => {
    const r = await receiver([503, 200]);
    const out = await postWebhook(hook(r.url), BODY);
    expect(out).toMatchObject({ httpStatus: 200, attempts: 2 });
    expect(out.error).toBeUndefined();
  });

  it('does not retry a 4xx: the request itself is wrong', async () => {
    const r = await receiver([404]);
    const out = await postWebhook(hook(r.url), BODY);
    expect(r.got).toHaveLength(1);
    expect(out).toMatchObject({ httpStatus: 404, attempts: 1, error: 'HTTP 404' });
  });

  it('times out a receiver that never answers, per attempt', async () => {
    const r = await receiver([null]);
    const t0 = Date.now();
    const out = await postWebhook(hook(r.url, { timeoutMs: 200, retries: 1, backoffMs: 10 }), BODY);
    expect(out).toMatchObject({ httpStatus: null, attempts: 2, timedOut: true });
    expect(out.error).toMatch(/no answer within the 200 ms timeout after 2 attempts/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('reports a receiver that is not listening, after its retries', async () => {
    const r = await receiver([200]);
    const url = r.url;
    await new Promise<void>((res) => servers.pop()!.close(() => res()));
    const out = await postWebhook(hook(url, { retries: 1, backoffMs: 10 }), BODY);
    expect(out).toMatchObject({ httpStatus: null, attempts: 2, timedOut: false });
    expect(out.error).toMatch(/ECONNREFUSED/);
  });
});
