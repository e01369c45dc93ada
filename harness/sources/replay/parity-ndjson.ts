import { entryOf, headerRecord, jsonLines, LOSSY_LINE, type CaptureEntry } from './capture.ts';

/** node:http answers 400 to a raw non-ASCII byte in a request target, so `req.url`, which the capture records, is ASCII. */
const NOT_CAPTURED = 'the path holds non-ASCII characters, which parity\'s capture never records (node:http refuses raw non-ASCII bytes in a request target), so the bytes meant are unknown: percent-encode them (UTF-8) in the capture';

/** parity's own capture (`parity shadow --capture`): one `{ t, requestId, route, method, path, headers, body }` per line. */
export async function* readParityCapture(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  for await (const rec of jsonLines(file, maxEntryBytes)) {
    if ('bad' in rec) {
      yield { ok: false, bad: { at: rec.at, reason: rec.bad } };
      continue;
    }
    const { doc, at, lossy } = rec;
    const path = String(doc.path ?? '');
    yield entryOf({
      t: typeof doc.t === 'number' ? doc.t : Number.NaN,
      method: String(doc.method ?? '').toUpperCase(),
      path,
      headers: headerRecord(doc.headers),
      body: typeof doc.body === 'string' ? doc.body : doc.body === undefined || doc.body === null ? undefined : JSON.stringify(doc.body),
      route: typeof doc.route === 'string' ? doc.route : undefined,
      at,
      unusable: lossy ? LOSSY_LINE : /[^\p{ASCII}]/u.test(path) ? NOT_CAPTURED : undefined,
    });
  }
}
