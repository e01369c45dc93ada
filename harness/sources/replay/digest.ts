import { fileDigest } from '../../digest.ts';
import { UsageError } from '../../errors.ts';

/**
 * The sha256 of a capture file, read as a stream (nothing held). Segments of one replay must have
 * replayed the same bytes: two captures with the same counts (entries read, left out, bad) but other
 * requests would otherwise merge as one replay (segments.ts).
 */
export async function captureDigest(file: string): Promise<string> {
  let d: Awaited<ReturnType<typeof fileDigest>>;
  try {
    d = await fileDigest(file);
  } catch (err) {
    throw new UsageError(`cannot read the capture ${file}: ${(err as Error).message}`);
  }
  if (!d) throw new UsageError(`cannot read the capture ${file}: it is gone`);
  return `sha256:${d.sha256}`;
}
