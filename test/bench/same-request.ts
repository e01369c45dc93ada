/**
 * What parity sends in the throughput benchmark (its default scenario body with the prompt
 * "hello", the content type, accept and request-id headers). Every yardstick sends the same
 * request, so the server does the same work per request whichever client is measured (the bench
 * checks it with the server's `/stats`). The bare loops number their request ids as parity does;
 * autocannon and wrk send a fixed one of the same length.
 */
export const sameRequest = (runId: string, i: number) =>
  ({
    method: 'POST',
    path: '/chat-stream',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-request-id': `${runId}-${i}` },
    body: `{"message":"hello","session_id":"parity-${i}"}`,
  }) as const;
