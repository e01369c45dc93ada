import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UsageError } from '../../errors.ts';

/**
 * The sha256 of a capture file, read as a stream (nothing held). Segments of one replay must have
 * replayed the same bytes: two captures with the same counts (entries read, left out, bad) but other
 * requests would otherwise merge as one replay (segments.ts).
 */
export async function captureDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  } catch (err) {
    throw new UsageError(`cannot read the capture ${file}: ${(err as Error).message}`);
  }
  return `sha256:${hash.digest('hex')}`;
}
