import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { outputError, outputFs } from './fs.ts';

/**
 * Files parity writes are replaced whole or not at all: the text goes to `<file>.tmp-<pid>` in the
 * same folder and is renamed over `file` only once written and closed (rename within a folder is
 * atomic on POSIX). A kill, a crash or a full disk mid-write leaves the previous file intact and at
 * most a stray temp file, never a truncated run.json or samples.ndjson.
 */
export function tempFor(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

export async function writeFileAtomic(file: string, text: string, what = 'its output'): Promise<void> {
  const tmp = tempFor(file);
  try {
    await outputFs.writeFile(tmp, text);
    await outputFs.rename(tmp, file);
  } catch (err) {
    await outputFs.rm(tmp, { force: true }).catch(() => undefined);
    throw outputError(err, file, what);
  }
}

/** The same, synchronously: for the moment parity exits (a second signal), when nothing asynchronous completes. */
export function writeFileAtomicSync(file: string, text: string): void {
  const tmp = tempFor(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the error that matters is the write's
    }
    throw outputError(err, file, 'run.json');
  }
}

/** Streams `chunks` into `file` through a temp file and a rename (for files larger than one string). */
export async function streamFileAtomic(file: string, chunks: AsyncIterable<string | Buffer>, what = 'its output'): Promise<void> {
  const tmp = tempFor(file);
  const out = createWriteStream(tmp);
  try {
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    for await (const c of chunks) if (!out.write(c)) await Promise.race([once(out, 'drain'), failed]);
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    await outputFs.rename(tmp, file);
  } catch (err) {
    out.destroy();
    await outputFs.rm(tmp, { force: true }).catch(() => undefined);
    throw outputError(err, file, what);
  }
}
