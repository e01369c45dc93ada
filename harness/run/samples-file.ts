import { createReadStream, existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { streamFileAtomic } from '../output/atomic.ts';
import { assertNotRunning } from './run-lock.ts';
import { convertSpool, SPOOL_SUFFIX } from './sample-spool.ts';

/**
 * A samples file ready to read. The spools are the source of truth until they are removed: when a
 * spool is there (a killed run, a kill during the final conversion, a double Ctrl-C), the samples
 * file is rebuilt from it, whatever samples file may already be beside it. A run on worker threads
 * spools one part per worker (`<file>.<i>.spool`, then `<file>.<i>`); parts left behind are
 * converted and joined the same way. Every file is written whole (temp file + rename), so a
 * samples file without a spool or part beside it is complete.
 */
export async function ensureSamples(file: string): Promise<void> {
  const parts = await workerParts(file);
  if (existsSync(file + SPOOL_SUFFIX) || parts.some((p) => existsSync(p + SPOOL_SUFFIX))) assertNotRunning(path.dirname(file));
  for (const part of parts) if (existsSync(part + SPOOL_SUFFIX)) await convertSpool(part);
  if (parts.length) await joinParts(parts, file);
  else if (existsSync(file + SPOOL_SUFFIX)) await convertSpool(file);
}

/** Concatenates NDJSON parts (missing ones skipped) into `into`, written whole, then removes the parts. */
export async function joinParts(parts: readonly string[], into: string): Promise<void> {
  const present = parts.filter((p) => existsSync(p));
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const p of present) for await (const c of createReadStream(p) as AsyncIterable<Buffer>) yield c;
  }
  await streamFileAtomic(into, chunks());
  await Promise.all(present.map((p) => rm(p, { force: true })));
}

/** `<file>.<i>` parts (or their spools) in the folder, in worker order. */
async function workerParts(file: string): Promise<string[]> {
  const base = path.basename(file);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  const index = new Set<number>();
  for (const n of names) {
    if (!n.startsWith(base + '.')) continue;
    const m = /^(\d+)(\.spool)?$/.exec(n.slice(base.length + 1));
    if (m) index.add(Number(m[1]));
  }
  return [...index].sort((a, b) => a - b).map((i) => `${file}.${i}`);
}
