import { entryOf, headerRecord, jsonLines, LOSSY_LINE, memberText, type CaptureEntry } from './capture.ts';
import { targetOf, utf8Target } from './target.ts';

const pickKey = (doc: Record<string, unknown>, keys: string[]): string | undefined => keys.find((k) => doc[k] !== undefined && doc[k] !== null && doc[k] !== '' && doc[k] !== '-');
const pick = (doc: Record<string, unknown>, keys: string[]): unknown => {
  const k = pickKey(doc, keys);
  return k === undefined ? undefined : doc[k];
};

/** A time field: epoch seconds with a fraction (nginx `$msec`), epoch ms, or ISO 8601 (Envoy `%START_TIME%`). */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v !== 'string') return Number.NaN;
  if (/^\d+(\.\d+)?$/.test(v)) return timeOf(Number(v));
  return Date.parse(v);
}

/**
 * When the request arrived. nginx writes `$msec` when it logs the line, at the request's end: a
 * chat stream of 20 s is logged 20 s after it came, so a log of streams replayed by `$msec` moves
 * every long request later by its own duration and reorders them. With `$request_time` (seconds
 * since nginx read the request's first bytes) logged too, the arrival is `$msec − $request_time`.
 * Envoy's `%START_TIME%` is the start already.
 */
function arrivalOf(doc: Record<string, unknown>): number {
  const msec = pick(doc, ['msec']);
  const took = pick(doc, ['request_time']);
  if (msec !== undefined && took !== undefined && /^\d+(\.\d+)?$/.test(String(took).trim())) return timeOf(msec) - Number(String(took).trim()) * 1000;
  return timeOf(pick(doc, ['msec', 'time', 'start_time', 'timestamp']));
}

/**
 * Why a logged body is not the one sent, when the log says how long it was (`$content_length`):
 * nginx leaves `$request_body` empty when it buffered the body to a file (larger than
 * `client_body_buffer_size`), and a log line may cut a long value.
 */
function bodyLost(body: string | undefined, declared: unknown): string | undefined {
  if (declared === undefined || !/^\d+$/.test(String(declared).trim())) return undefined;
  const n = Number(String(declared).trim());
  const bytes = body === undefined ? 0 : Buffer.byteLength(body);
  if (bytes === n) return undefined;
  return `the log holds ${bytes} body bytes where its content_length says ${n}: the body was not logged as sent${bytes === 0 ? ' (nginx leaves $request_body empty when it buffered the body to a file: raise client_body_buffer_size to the largest body, or capture elsewhere)' : ' (cut or changed)'}`;
}

/**
 * nginx or Envoy JSON access logs with request bodies, one JSON object per line (see "Replay real
 * traffic" in the README for the `log_format escape=json` and Envoy `json_format` this reads):
 * time `msec` (minus `request_time` when logged) | `time` | `start_time`; method `method` | `request_method`; path `uri` |
 * `request_uri` | `path`; body `body` | `request_body`; headers `headers` (object) plus
 * `content_type`, `accept`, `user_agent` and `content_length` (checked against the body) when logged.
 */
export async function* readAccessLog(file: string, maxEntryBytes: number): AsyncGenerator<CaptureEntry> {
  for await (const rec of jsonLines(file, maxEntryBytes)) {
    if ('bad' in rec) {
      yield { ok: false, bad: { at: rec.at, reason: rec.bad } };
      continue;
    }
    const { doc, at, text, lossy } = rec;
    const headers = headerRecord(doc.headers);
    for (const [k, h] of [['content_type', 'content-type'], ['accept', 'accept'], ['user_agent', 'user-agent']] as const) {
      const v = pick(doc, [k]);
      if (v !== undefined) headers[h] ??= String(v);
    }
    const bodyKey = pickKey(doc, ['body', 'request_body']);
    const raw = bodyKey === undefined ? undefined : doc[bodyKey];
    // A body logged as a JSON value (a Lua filter or logger that embeds it) goes out as its text in the line, not re-serialized.
    const body = raw === undefined ? undefined : typeof raw === 'string' ? raw : (memberText(text, bodyKey!) ?? JSON.stringify(raw));
    yield entryOf({
      t: arrivalOf(doc),
      method: String(pick(doc, ['method', 'request_method']) ?? ''),
      // nginx writes the bytes of $request_uri as they came (escape=json escapes only quotes, backslashes and controls): raw UTF-8 goes out as those bytes.
      path: utf8Target(targetOf(String(pick(doc, ['uri', 'request_uri', 'path']) ?? ''))),
      headers,
      body,
      at,
      unusable: lossy ? LOSSY_LINE : bodyLost(body, pick(doc, ['content_length']) ?? headers['content-length']),
    });
  }
}
