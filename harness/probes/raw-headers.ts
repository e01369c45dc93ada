/**
 * The first value of header `name` (lower case) in undici's raw header list (name, value, name,
 * value, ...), or undefined. Names of another length are skipped before any string is made: the
 * stream probe asks this once per response.
 */
/** Whether raw response headers say `content-type: text/event-stream`. */
export function isEventStream(rawHeaders: readonly (Buffer | string)[] | null | undefined): boolean {
  return rawHeaderValue(rawHeaders, 'content-type')?.toLowerCase().includes('text/event-stream') ?? false;
}

/**
 * A 2xx answer that is an SSE stream: what SseSniffer (sources/shadow/sniff.ts) flags around a
 * probe, and what the request probe marks on its sample (`streamReadWhole`). Headers only.
 */
export function isSseAnswer(statusCode: number, rawHeaders: readonly (Buffer | string)[] | null | undefined): boolean {
  return statusCode >= 200 && statusCode < 300 && isEventStream(rawHeaders);
}

export function rawHeaderValue(raw: readonly (Buffer | string)[] | null | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === name.length && n.toString('latin1').toLowerCase() === name) return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}
