import { entryOf, headerRecord, jsonLines, LOSSY_LINE, type CaptureEntry } from './capture.ts';
import { targetOf, utf8Target } from './target.ts';

const pick = (doc: Record<string, unknown>, keys: string[]): unknown => {
  for (const k of keys) if (doc[k] !== undefined && doc[k] !== null && doc[k] !== '' && doc[k] !== '-') return doc[k];
  return undefined;
};

/** A time field: epoch seconds with a fraction (nginx `$msec`), epoch ms, or ISO 8601 (Envoy `%START_TIME%`). */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string') return Number.NaN;
  if (/^\d+(\.\d+)?$/.test(v)) return timeOf(Number(v));
  return Date.parse(v);
}

/**
 * nginx or Envoy JSON access logs with request bodies, one JSON object per line (see "Replay real
 * traffic" in the README for the `log_format escape=json` and Envoy `json_format` this reads):
 * time `msec` | `time` | `start_time`; method `method` | `request_method`; path `uri` |
 * `request_uri` | `path`; body `body` | `request_body`; headers `headers` (object) plus
 * `content_type`, `accept`, `user_agent` when logged.
 */
export async function* readAccessLog(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  for await (const rec of jsonLines(file, maxEntryBytes)) {
    if ('bad' in rec) {
      yield { ok: false, bad: { at: rec.at, reason: rec.bad } };
      continue;
    }
    const { doc, at, lossy } = rec;
    const headers = headerRecord(doc.headers);
    for (const [k, h] of [['content_type', 'content-type'], ['accept', 'accept'], ['user_agent', 'user-agent']] as const) {
      const v = pick(doc, [k]);
      if (v !== undefined) headers[h] ??= String(v);
    }
    const body = pick(doc, ['body', 'request_body']);
    yield entryOf({
      t: timeOf(pick(doc, ['msec', 'time', 'start_time', 'timestamp'])),
      method: String(pick(doc, ['method', 'request_method']) ?? '').toUpperCase(),
      // nginx writes the bytes of $request_uri as they came (escape=json escapes only quotes, backslashes and controls): raw UTF-8 goes out as those bytes.
      path: utf8Target(targetOf(String(pick(doc, ['uri', 'request_uri', 'path']) ?? ''))),
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      at,
      unusable: lossy ? LOSSY_LINE : undefined,
    });
  }
}
