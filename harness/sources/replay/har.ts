import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { checkRequest, headerRecord, type CaptureEntry } from './capture.ts';
import { harBody, type HarRequestBody } from './har-body.ts';
import { oversizeReason } from './records.ts';
import { harTarget } from './target.ts';

/**
 * The texts of `log.entries[*]` in a HAR document, one at a time, without holding the document:
 * a scanner tracks nesting and strings only, and keeps the characters of the entry it is in. (A
 * HAR is one JSON object, so JSON.parse would need it whole; this is the one place a tokenizer is
 * needed, and it is small enough not to be worth a dependency.) An entry over `maxEntryBytes` is
 * not kept: its characters are counted until it closes, and it comes out empty with its size as
 * `oversize` (a HAR is one document, so the cap is per entry, as for lines). A file cut short yields the
 * entry it was in as `truncated`, or, cut between entries, an empty `truncated` marked `between`.
 */
export async function* harEntryTexts(file: string, maxEntryBytes = Infinity): AsyncGenerator<{ text: string; truncated: boolean; between?: true; oversize?: number }> {
  const decoder = new StringDecoder('utf8');
  let depth = 0;
  let inString = false;
  let escaped = false;
  let str = '';
  let lastKey = '';
  let entriesDepth = -1;
  let entry: string[] | undefined;
  // The entry's size in bytes; over maxEntryBytes its characters are dropped, and only counted, until it closes.
  let entryBytes = 0;
  const add = (piece: string) => {
    entryBytes += Buffer.byteLength(piece);
    if (entryBytes > maxEntryBytes) entry!.length = 0;
    else entry!.push(piece);
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const s = decoder.write(chunk);
    let from = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        else if (!entry && str.length < 16) str += s[i];
        continue;
      }
      if (c === 34) {
        inString = true;
        str = '';
      } else if (c === 58) {
        lastKey = str;
      } else if (c === 123 || c === 91) {
        depth++;
        if (c === 91 && depth === 3 && lastKey === 'entries' && entriesDepth === -1) entriesDepth = depth;
        else if (c === 123 && depth === entriesDepth + 1 && entriesDepth !== -1 && !entry) {
          entry = [];
          entryBytes = 0;
          from = i;
        }
      } else if (c === 125 || c === 93) {
        if (entry && depth === entriesDepth + 1 && c === 125) {
          add(s.slice(from, i + 1));
          yield entryBytes > maxEntryBytes ? { text: '', truncated: false, oversize: entryBytes } : { text: entry.join(''), truncated: false };
          entry = undefined;
        } else if (depth === entriesDepth && c === 93) entriesDepth = -2;
        depth--;
      }
    }
    if (entry) add(s.slice(from));
  }
  if (entry) yield { text: entry.join(''), truncated: true };
  // Cut between two entries: every entry read was whole, but the document never closed (entries
  // after the cut are lost). Reported as one truncated entry, never read as the whole capture.
  else if (depth > 0 || inString) yield { text: '', truncated: true, between: true };
}

/** HAR 1.2 (browser devtools, mitmproxy, Charles): each entry's request, timed by `startedDateTime`. */
export async function* readHar(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  let n = 0;
  for await (const { text, truncated, between, oversize } of harEntryTexts(file, maxEntryBytes)) {
    if (between) {
      yield { ok: false, bad: { at: `after entry ${n}`, reason: 'the file ends before the HAR document closes (truncated: the entries after this one are missing)' } };
      continue;
    }
    n++;
    const at = `entry ${n}`;
    if (truncated) {
      yield { ok: false, bad: { at, reason: 'the file ends inside this entry (truncated)' } };
      continue;
    }
    if (oversize !== undefined) {
      yield { ok: false, bad: { at, reason: oversizeReason(oversize, maxEntryBytes) } };
      continue;
    }
    let e: { startedDateTime?: unknown; request?: HarRequestBody & { method?: unknown; url?: unknown; headers?: unknown } };
    try {
      e = JSON.parse(text) as typeof e;
    } catch {
      yield { ok: false, bad: { at, reason: 'not valid JSON (corrupt entry)' } };
      continue;
    }
    const r = e.request;
    if (!r || typeof r !== 'object') {
      yield { ok: false, bad: { at, reason: 'no request object' } };
      continue;
    }
    const headers = headerRecord(r.headers);
    const body = harBody(r, headers);
    const req = {
      t: typeof e.startedDateTime === 'string' ? Date.parse(e.startedDateTime) : Number.NaN,
      // As sent: a browser's fetch() sends `patch` in lower case as written (it upper-cases only the standard six), and servers answer it apart from PATCH.
      method: String(r.method ?? ''),
      path: harTarget(String(r.url ?? '')),
      headers,
      body: 'body' in body ? body.body : undefined,
      at,
      unusable: 'problem' in body ? body.problem : undefined,
    };
    const problem = checkRequest(req);
    yield problem ? { ok: false, bad: { at, reason: problem } } : { ok: true, req };
  }
}
