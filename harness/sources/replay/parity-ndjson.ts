import { entryOf, headerRecord, jsonLines, type CaptureEntry } from './capture.ts';

/** parity's own capture (`parity shadow --capture`): one `{ t, requestId, route, method, path, headers, body }` per line. */
export async function* readParityCapture(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  for await (const rec of jsonLines(file, maxEntryBytes)) {
    if ('bad' in rec) {
      yield { ok: false, bad: { at: rec.at, reason: rec.bad } };
      continue;
    }
    const { doc, at } = rec;
    yield entryOf({
      t: typeof doc.t === 'number' ? doc.t : Number.NaN,
      method: String(doc.method ?? '').toUpperCase(),
      path: String(doc.path ?? ''),
      headers: headerRecord(doc.headers),
      body: typeof doc.body === 'string' ? doc.body : doc.body === undefined || doc.body === null ? undefined : JSON.stringify(doc.body),
      route: typeof doc.route === 'string' ? doc.route : undefined,
      at,
    });
  }
}
