import { open } from 'node:fs/promises';
import { UsageError } from '../../errors.ts';
import { readAccessLog } from './access-log.ts';
import { CAPTURE_FORMATS, type CaptureEntry, type CaptureFormat } from './capture.ts';
import { readGor } from './gor.ts';
import { readHar } from './har.ts';
import { readParityCapture } from './parity-ndjson.ts';
import { DEFAULT_MAX_ENTRY_BYTES } from './records.ts';

export const READERS: Record<CaptureFormat, (file: string, maxEntryBytes: number) => AsyncGenerator<CaptureEntry>> = {
  parity: readParityCapture,
  har: readHar,
  gor: readGor,
  'access-log': readAccessLog,
};

const UNDERSTOOD = 'parity capture NDJSON (parity shadow --capture), HAR 1.2, GoReplay .gor, nginx/Envoy JSON access logs';

/** The format of a capture, from its first bytes (the extension is not trusted: exports are renamed). */
export function detectFormat(head: string): CaptureFormat | undefined {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (/^[123] [0-9a-f]+ \d+/.test(text)) return 'gor';
  if (!text.startsWith('{')) return undefined;
  if (/^\{\s*"log"\s*:/.test(text)) return 'har';
  const first = text.split('\n', 1)[0]!;
  const has = (k: string) => first.includes(`"${k}"`);
  if (has('t') && has('method') && has('path') && has('headers')) return 'parity';
  if ((has('method') || has('request_method')) && (has('uri') || has('request_uri') || has('path'))) return 'access-log';
  return undefined;
}

/** Reads the first 4 KiB and names the format; an unknown one is exit 3 naming those understood. Entries over `maxEntryBytes` are bad entries, skipped unread. */
export async function openCapture(file: string, format?: string, maxEntryBytes = DEFAULT_MAX_ENTRY_BYTES): Promise<{ format: CaptureFormat; entries: () => AsyncGenerator<CaptureEntry> }> {
  if (format !== undefined && !CAPTURE_FORMATS.includes(format as CaptureFormat)) {
    throw new UsageError(`--format ${JSON.stringify(format)} is not a capture format: use one of ${CAPTURE_FORMATS.join(', ')}`);
  }
  let head: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new UsageError(`cannot read the capture ${file}: ${(err as Error).message}`);
  }
  const found = (format as CaptureFormat | undefined) ?? detectFormat(head);
  if (!found) throw new UsageError(`${file}: unknown capture format; parity replay understands ${UNDERSTOOD} (or name one with --format ${CAPTURE_FORMATS.join('|')})`);
  return { format: found, entries: () => READERS[found](file, maxEntryBytes) };
}
