import { addHeader, checkRequest, type CaptureEntry } from './capture.ts';
import { gorBody } from './gor-body.ts';
import { oversizeReason, splitRecords } from './records.ts';

/** GoReplay's separator between payloads, on its own line. */
export const GOR_SEPARATOR = '\n🐵🙈🙉\n';

/**
 * GoReplay's `.gor` file (https://github.com/buger/goreplay/wiki/Saving-and-Replaying-from-file):
 * each payload is a header line `<type> <id> <timestamp ns> <latency>`, the raw HTTP message, then
 * the separator line `🐵🙈🙉`. Type 1 is a request; responses (2, original; 3, replayed) are skipped.
 */
export async function* readGor(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  let n = 0;
  for await (const raw of splitRecords(file, Buffer.from(GOR_SEPARATOR), maxEntryBytes)) {
    const over = Buffer.isBuffer(raw) ? undefined : raw;
    // The HTTP head is bytes (RFC 9110: obs-text, as Latin-1), the body its bytes (gor-body.ts): a path or header
    // with raw UTF-8 bytes (`/search?q=café` sent unencoded) decoded as UTF-8 became characters
    // beyond U+00FF, unsendable; as Latin-1 it is sent back as the very bytes captured.
    let bytes = over ? over.head : (raw as Buffer);
    let skip = 0;
    while (skip < bytes.length && bytes[skip] === 0x0a) skip++;
    bytes = bytes.subarray(skip);
    const payload = bytes.toString('latin1');
    if (!payload.trim()) continue;
    n++;
    const at = `entry ${n}`;
    // Over the cap: skipped unread; a response (type 2 or 3) is skipped anyway, a request is a bad entry.
    if (over) {
      if (!/^[23] /.test(payload)) yield { ok: false, bad: { at, reason: oversizeReason(over.oversize, maxEntryBytes) } };
      continue;
    }
    const nl = payload.indexOf('\n');
    const header = (nl === -1 ? payload : payload.slice(0, nl)).trim().split(' ');
    if (header.length < 3 || !/^[123]$/.test(header[0]!) || !/^\d+$/.test(header[2]!)) {
      yield { ok: false, bad: { at, reason: 'no GoReplay header line "<type> <id> <timestamp ns> <latency>" (corrupt entry)' } };
      continue;
    }
    if (header[0] !== '1') continue;
    // Latin-1 keeps one character per byte: offsets in `payload` are offsets in `bytes`.
    const http = payload.slice(nl + 1);
    const end = http.indexOf('\r\n\r\n') !== -1 ? http.indexOf('\r\n\r\n') : http.indexOf('\n\n');
    const sepLen = http.startsWith('\r\n\r\n', end) ? 4 : 2;
    if (end === -1) {
      yield { ok: false, bad: { at, reason: 'the HTTP request has no end of headers (truncated entry)' } };
      continue;
    }
    const lines = http.slice(0, end).split(/\r?\n/);
    const [method = '', target = ''] = lines[0]!.split(' ');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c > 0) addHeader(headers, l.slice(0, c).trim(), l.slice(c + 1).trim());
    }
    const body = gorBody(bytes.subarray(nl + 1 + end + sepLen), headers);
    const req = {
      t: Number(BigInt(header[2]!) / 1000n) / 1000,
      // As on the wire: methods are case-sensitive (RFC 9110 §9.1), a captured `get` is not GET.
      method,
      path: target,
      headers,
      body: 'body' in body ? body.body : undefined,
      at,
    };
    const problem = checkRequest(req) ?? ('problem' in body ? body.problem : undefined);
    yield problem ? { ok: false, bad: { at, reason: problem } } : { ok: true, req };
  }
}
