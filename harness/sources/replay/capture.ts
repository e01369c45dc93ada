import { isUtf8 } from 'node:buffer';
import { getOwn, setOwn } from '../../json/own.ts';
import { redactQuery } from '../../secrets/scrubber.ts';
import { oversizeReason, splitRecords } from './records.ts';

/** One request read from a capture, whatever the format: what is replayed to both targets. */
export interface CapturedRequest {
  /** Epoch ms at which it was recorded (offsets are taken from the first request). */
  t: number;
  method: string;
  /** Path and query, as the client sent it: one character per byte (Latin-1), as undici writes it (target.ts). */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** UTF-8 text, or the captured bytes when they are not UTF-8 (a binary body): sent as they are either way. */
  body: string | Buffer | undefined;
  /** The route name the capture gave it (parity captures), else none. */
  route?: string | undefined;
  /** Where it was read: "line 12" or "entry 3". */
  at: string;
  /** Why the capture does not hold this request as it was sent (e.g. a HAR that dropped its body): a bad entry when the filters keep it, never sent otherwise. */
  unusable?: string | undefined;
}

/** A corrupt or truncated entry: counted and listed, the rest replays. */
export interface BadEntry {
  at: string;
  reason: string;
}

export type CaptureEntry = { ok: true; req: CapturedRequest } | { ok: false; bad: BadEntry };

export type CaptureFormat = 'parity' | 'har' | 'gor' | 'access-log';
/** The reason of a line that is not UTF-8: its bytes cannot be told apart once read. */
export const LOSSY_LINE = 'the line is not UTF-8 text: bytes of it (a raw path or body) were lost when read, so the request cannot be rebuilt as sent';

export const CAPTURE_FORMATS: readonly CaptureFormat[] = ['parity', 'har', 'gor', 'access-log'];

/**
 * One more field line of a request into a lower-case record: a repeated name is joined to the
 * value before (RFC 9110 §5.3: `, `; cookies with `; `, RFC 6265 §5.4, as HTTP/2 splits them), never
 * overwritten (the last `cookie` or `x-forwarded-for` line alone would be another request).
 */
export function addHeader(out: Record<string, string>, name: string, value: string): void {
  const k = name.toLowerCase();
  const had = getOwn(out, k);
  setOwn(out, k, had === undefined ? value : `${had}${k === 'cookie' ? '; ' : ', '}${value}`);
}

/** Headers as a plain lower-case record, from an object or a list of { name, value } (repeated names joined). */
export function headerRecord(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const h of raw as { name?: unknown; value?: unknown }[]) {
      if (typeof h?.name === 'string' && !h.name.startsWith(':')) addHeader(out, h.name, String(h.value ?? ''));
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) if (v !== undefined && v !== null) setOwn(out, k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v));
  }
  return out;
}

/** Methods are case-sensitive (RFC 9110 §9.1): one captured in lower case is replayed as it was sent, never upper-cased into another request. */
const METHOD = /^[A-Za-z]{3,10}$/;

/** Checks the fields every reader must produce; the reason when one is missing. */
export function checkRequest(r: { t: number; method: string; path: string }): string | undefined {
  if (!Number.isFinite(r.t)) return 'no usable timestamp';
  if (!METHOD.test(r.method)) return `method ${JSON.stringify(r.method.slice(0, 20))} is not an HTTP method`;
  // Quoted with its query credentials redacted: a bad entry's reason goes to run.json, the reports and the terminal.
  if (!r.path.startsWith('/')) return `path ${JSON.stringify(redactQuery(r.path).slice(0, 60))} does not start with "/"`;
  return undefined;
}

/**
 * NDJSON records with their line numbers: an object, or the reason a line is not one (over
 * `maxBytes`: skipped unread). Blank lines are skipped. `lossy`: the line is not UTF-8, so bytes of
 * it were read as U+FFFD and are lost (a log that wrote a client's raw bytes).
 */
export async function* jsonLines(file: string, maxBytes: number): AsyncGenerator<{ at: string; doc: Record<string, unknown>; text: string; lossy: boolean } | { at: string; bad: string }> {
  let line = 0;
  for await (const raw of splitRecords(file, NL, maxBytes)) {
    line++;
    if (!Buffer.isBuffer(raw)) {
      yield { at: `line ${line}`, bad: oversizeReason(raw.oversize, maxBytes) };
      continue;
    }
    const text = raw.toString('utf8').trim();
    if (!text) continue;
    const at = `line ${line}`;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      yield { at, bad: 'not a JSON object (corrupt or truncated line)' };
      continue;
    }
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) yield { at, doc: doc as Record<string, unknown>, text, lossy: !isUtf8(raw) };
    else yield { at, bad: 'not a JSON object' };
  }
}

const NL = Buffer.from('\n');

/** The entry a reader yields for a request read whole: checked, or bad with the reason. */
export function entryOf(req: CapturedRequest): CaptureEntry {
  const problem = checkRequest(req);
  return problem ? { ok: false, bad: { at: req.at, reason: problem } } : { ok: true, req };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Captured body bytes as the request holds them: UTF-8 text when they are (the same bytes go out), else the bytes themselves. */
export function bodyOf(bytes: Buffer): string | Buffer {
  try {
    return UTF8.decode(bytes);
  } catch {
    return bytes;
  }
}

/** A body held as text under a declared encoding (none: the text itself; `base64`: the bytes it encodes), or why its bytes are unknown. */
export function decodedBody(text: string, encoding: unknown, names: { text: string; encoding: string }): { body: string | Buffer } | { problem: string } {
  if (encoding === undefined || encoding === null || encoding === '') return { body: text };
  if (String(encoding).toLowerCase() !== 'base64') return { problem: `${names.encoding} ${JSON.stringify(String(encoding).slice(0, 20))} is not understood (base64 is): the body's bytes are unknown` };
  const b64 = text.replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { problem: `${names.text} is not valid base64 (its ${names.encoding} says base64): the body's bytes are unknown` };
  return { body: bodyOf(Buffer.from(b64, 'base64')) };
}

/**
 * The text of member `key` of the JSON object `text` (valid JSON: it parsed), as written in the
 * line: the last one, as JSON.parse keeps. A body logged as a JSON value rather than a string is
 * sent as these characters: parsing and serializing it again would change its bytes (key order,
 * integer-like keys first; `1.0` as `1`, `1e3` as `1000`; an id beyond 2^53 rounded, `\u00e9` as
 * `é`, spacing), another request than the one logged.
 */
export function memberText(text: string, key: string): string | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const skipString = () => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    i++;
  };
  const skipValue = () => {
    if (text[i] === '"') return skipString();
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      do {
        if (text[i] === '"') {
          skipString();
          continue;
        }
        if (text[i] === '{' || text[i] === '[') depth++;
        else if (text[i] === '}' || text[i] === ']') depth--;
        i++;
      } while (depth > 0 && i < text.length);
      return;
    }
    while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
  };
  let found: string | undefined;
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return found;
    const k0 = i;
    skipString();
    const name = JSON.parse(text.slice(k0, i)) as string;
    ws();
    i++; // ':'
    ws();
    const v0 = i;
    skipValue();
    if (name === key) found = text.slice(v0, i);
    ws();
    if (text[i] !== ',') return found;
    i++;
  }
}
