import { bodyOf } from './capture.ts';

/**
 * The content of a chunked body (RFC 9112 §7.1): the chunks' data joined, or undefined when the
 * framing is broken or cut before its last chunk. Trailer fields are not replayed.
 */
export function dechunk(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = raw.subarray(at, eol).toString('latin1').split(';', 1)[0]!.trim();
    if (!/^[0-9A-Fa-f]{1,8}$/.test(size)) return undefined;
    const n = parseInt(size, 16);
    if (n === 0) return Buffer.concat(parts);
    const end = eol + 2 + n;
    if (raw.length < end + 2 || raw[end] !== 0x0d || raw[end + 1] !== 0x0a) return undefined;
    parts.push(raw.subarray(eol + 2, end));
    at = end + 2;
  }
}

/**
 * A .gor request's body as the bytes the client sent as content (UTF-8 text when they are): framed
 * by content-length or chunked, or the reason it is not whole. A chunked body is sent as its content
 * (the replay's client frames it again, transfer-encoding being hop-by-hop): sending the chunk
 * framing as content would be another body.
 */
export function gorBody(raw: Buffer, headers: Record<string, string>): { body: string | Buffer | undefined } | { problem: string } {
  const te = headers['transfer-encoding']?.trim().toLowerCase();
  if (te !== undefined && te !== '' && te !== 'identity') {
    if (te !== 'chunked') return { problem: `transfer-encoding ${JSON.stringify(te.slice(0, 40))} is not understood (chunked is): the body's content is unknown` };
    const content = dechunk(raw);
    if (!content) return { problem: 'the chunked body is cut or its framing is broken (truncated entry)' };
    return { body: content.length ? bodyOf(content) : undefined };
  }
  const declared = headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (raw.length < n) return { problem: `body shorter than its content-length ${declared} (truncated entry)` };
    if (raw.length > n) return { problem: `body of ${raw.length} bytes longer than its content-length ${declared} (corrupt entry)` };
  }
  return { body: raw.length ? bodyOf(raw) : undefined };
}
