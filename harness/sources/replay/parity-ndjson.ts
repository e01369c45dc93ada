import { decodedBody, entryOf, headerRecord, jsonLines, LOSSY_LINE, memberText, type CaptureEntry } from './capture.ts';

/** node:http answers 400 to a raw non-ASCII byte in a request target, so `req.url`, which the capture records, is ASCII. */
const NOT_CAPTURED = 'the path holds non-ASCII characters, which parity\'s capture never records (node:http refuses raw non-ASCII bytes in a request target), so the bytes meant are unknown: percent-encode them (UTF-8) in the capture';

/**
 * A record's body: text, or bytes that are not UTF-8 as base64 with `bodyEncoding: "base64"` (as a
 * HAR's postData.encoding); a JSON value instead of text is sent as its JSON text in the line, as written.
 */
function bodyOfRecord(doc: Record<string, unknown>, text: string): { body: string | Buffer | undefined } | { problem: string } | undefined {
  if (doc.body === undefined || doc.body === null) return undefined;
  // As written in the line: JSON.stringify of the parsed value is other bytes (key order, number forms, escapes).
  if (typeof doc.body !== 'string') return { body: memberText(text, 'body') ?? JSON.stringify(doc.body) };
  return decodedBody(doc.body, doc.bodyEncoding, { text: 'body', encoding: 'bodyEncoding' });
}

/** parity's own capture (`parity shadow --capture`): one `{ t, requestId, route, method, path, headers, body }` per line. */
export async function* readParityCapture(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  for await (const rec of jsonLines(file, maxEntryBytes)) {
    if ('bad' in rec) {
      yield { ok: false, bad: { at: rec.at, reason: rec.bad } };
      continue;
    }
    const { doc, at, text, lossy } = rec;
    const path = String(doc.path ?? '');
    const body = bodyOfRecord(doc, text);
    yield entryOf({
      t: typeof doc.t === 'number' ? doc.t : Number.NaN,
      method: String(doc.method ?? ''),
      path,
      headers: headerRecord(doc.headers),
      body: body && 'body' in body ? body.body : undefined,
      route: typeof doc.route === 'string' ? doc.route : undefined,
      at,
      unusable: lossy ? LOSSY_LINE : /[^\p{ASCII}]/u.test(path) ? NOT_CAPTURED : body && 'problem' in body ? body.problem : undefined,
    });
  }
}
