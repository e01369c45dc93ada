import { createReadStream } from 'node:fs';

/** Default per-entry cap of a capture (`--max-entry-bytes`): larger entries are bad entries, skipped unread. */
export const DEFAULT_MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/** A record over the cap: its size, and its first bytes (enough for a reader to tell what it was), never the rest. */
export interface Oversize {
  oversize: number;
  head: Buffer;
}

const CHUNK = 64 * 1024;
const HEAD = 1024;

/** The first bytes of a record's pieces, copied (never the whole record). */
const headOf = (pieces: Buffer[]): Buffer => Buffer.concat(pieces, Math.min(HEAD, pieces.reduce((n, p) => n + p.length, 0)));

/** 1536 → "1.5 KiB", 16777216 → "16 MiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : Math.round(n * 10) / 10} ${units[u]}`;
}

/** The bad-entry reason of an over-long entry. */
export function oversizeReason(bytes: number, cap: number): string {
  return `entry larger than the ${formatBytes(cap)} cap (${formatBytes(bytes)}): raise it with --max-entry-bytes if such entries are real requests`;
}

/**
 * The records of a file split on `sep`, read in 64 KiB chunks. A record larger than `maxBytes` is
 * not held: once over the cap its bytes are counted and dropped until the next separator, and it
 * comes out as `{ oversize, head }`. So the splitter never holds more than the cap and one chunk
 * (`stats.peakBytes` says how much it did), whatever the file's or a line's size. The last record
 * may lack its separator.
 */
export async function* splitRecords(file: string, sep: Buffer, maxBytes: number, stats?: { peakBytes: number }): AsyncGenerator<Buffer | Oversize> {
  // The record so far: its confirmed bytes (none of which can begin a separator) and, while
  // skipping an over-long one, only its size and head. `tail` holds the last bytes read that might
  // begin a separator completed by the next chunk (fewer than the separator's length).
  let parts: Buffer[] = [];
  let size = 0;
  let skipping: Buffer | undefined;
  let tail = Buffer.alloc(0);
  const held = (extra: number) => {
    if (stats) stats.peakBytes = Math.max(stats.peakBytes, (skipping ? 0 : size) + extra);
  };
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    held(data.length);
    let from = 0;
    for (let i = data.indexOf(sep); i !== -1; i = data.indexOf(sep, from)) {
      const piece = data.subarray(from, i);
      if (skipping) yield { oversize: size + piece.length, head: skipping };
      else if (size + piece.length > maxBytes) yield { oversize: size + piece.length, head: headOf([...parts, piece]) };
      else yield parts.length ? Buffer.concat([...parts, piece]) : piece;
      parts = [];
      size = 0;
      skipping = undefined;
      from = i + sep.length;
    }
    // What follows the last separator: all but the last sep.length - 1 bytes belong to the record.
    const keep = Math.max(from, data.length - (sep.length - 1));
    const confirmed = data.subarray(from, keep);
    tail = Buffer.from(data.subarray(keep));
    if (!confirmed.length) continue;
    if (!skipping && size + confirmed.length > maxBytes) skipping = headOf([...parts, confirmed]);
    if (skipping) parts = [];
    else parts.push(confirmed);
    size += confirmed.length;
  }
  if (skipping) yield { oversize: size + tail.length, head: skipping };
  else if (size + tail.length > maxBytes) yield { oversize: size + tail.length, head: headOf([...parts, tail]) };
  else if (size + tail.length) yield Buffer.concat([...parts, tail]);
}
