import { checkRequest, headerRecord, splitRecords, type CaptureEntry } from './capture.ts';

const NL = Buffer.from('\n');

/** parity's own capture (`parity shadow --capture`): one `{ t, requestId, route, method, path, headers, body }` per line. */
export async function* readParityCapture(file: string): AsyncGenerator<CaptureEntry> {
  let line = 0;
  for await (const raw of splitRecords(file, NL)) {
    line++;
    const text = raw.toString('utf8').trim();
    if (!text) continue;
    const at = `line ${line}`;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch {
      yield { ok: false, bad: { at, reason: 'not a JSON object (corrupt or truncated line)' } };
      continue;
    }
    if (!doc || typeof doc !== 'object') {
      yield { ok: false, bad: { at, reason: 'not a JSON object' } };
      continue;
    }
    const req = {
      t: typeof doc.t === 'number' ? doc.t : Number.NaN,
      method: String(doc.method ?? '').toUpperCase(),
      path: String(doc.path ?? ''),
      headers: headerRecord(doc.headers),
      body: typeof doc.body === 'string' ? doc.body : doc.body === undefined || doc.body === null ? undefined : JSON.stringify(doc.body),
      route: typeof doc.route === 'string' ? doc.route : undefined,
      at,
    };
    const problem = checkRequest(req);
    yield problem ? { ok: false, bad: { at, reason: problem } } : { ok: true, req };
  }
}
