/**
 * The first value of header `name` (lower case) in undici's raw header list (name, value, name,
 * value, ...), or undefined. Names of another length are skipped before any string is made: the
 * stream probe asks this once per response.
 */
export function rawHeaderValue(raw: readonly (Buffer | string)[] | null | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === name.length && n.toString('latin1').toLowerCase() === name) return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}

/**
 * A 2xx answer that is an SSE stream (`content-type: text/event-stream`), from the headers alone:
 * what the request probe marks on its sample when it reads one whole (`streamReadWhole`).
 */
export function isSseAnswer(statusCode: number, rawHeaders: readonly (Buffer | string)[] | null | undefined): boolean {
  return statusCode >= 200 && statusCode < 300 && (rawHeaderValue(rawHeaders, 'content-type')?.toLowerCase().includes('text/event-stream') ?? false);
}
