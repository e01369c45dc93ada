import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PairedSample } from '../metrics/sample.ts';
import { ensureSamples } from './sample-spool.ts';

/** Streams the pairs of a samples.ndjson file, one at a time (bounded memory, any run size). */
export async function* readPairs(file: string): AsyncGenerator<PairedSample> {
  await ensureSamples(file);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as PairedSample;
}

/** Every pair of a samples.ndjson file at once: for tests and small runs. */
export function readPairsSync(file: string): PairedSample[] {
  const out: PairedSample[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as PairedSample);
  return out;
}
