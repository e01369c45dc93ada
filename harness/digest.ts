import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';

/**
 * sha256 (hex) of a file's bytes and its lines, read as a stream (a long run's samples or a
 * capture are larger than one string can be); null when it is missing. Read errors are the caller's.
 */
export async function fileDigest(file: string): Promise<{ sha256: string; lines: number } | null> {
  if (!existsSync(file)) return null;
  const h = createHash('sha256');
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    h.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { sha256: h.digest('hex'), lines };
}
