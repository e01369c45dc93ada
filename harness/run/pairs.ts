import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PairedSample } from '../metrics/sample.ts';
import { ensureSamples } from './samples-file.ts';

/**
 * Streams the pairs of a samples.ndjson file, one at a time (bounded memory, any run size: a long
 * run's file is larger than one string can be). A line that is not JSON throws `notJson(its number)`.
 */
export async function* readPairs(file: string, notJson: (line: number) => Error = (n) => new Error(`${file} line ${n} is not JSON`)): AsyncGenerator<PairedSample> {
  await ensureSamples(file);
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    let pair: PairedSample;
    try {
      pair = JSON.parse(line) as PairedSample;
    } catch {
      throw notJson(n);
    }
    yield pair;
  }
}

/** Every pair of a samples.ndjson file, each kept as `view` makes it (the gates keep a few fields of each). */
export async function collectPairs<T>(file: string, view: (p: PairedSample) => T, notJson?: (line: number) => Error): Promise<T[]> {
  const out: T[] = [];
  for await (const pair of readPairs(file, notJson)) out.push(view(pair));
  return out;
}

/** Every pair of a samples.ndjson file at once: for tests and small runs. */
export function readPairsSync(file: string): PairedSample[] {
  const out: PairedSample[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as PairedSample);
  return out;
}
