import { existsSync, readFileSync } from 'node:fs';
import { SPOOL_SUFFIX } from '../../harness/run/sample-spool.ts';

/** Pairs a running run has spooled to disk so far (complete records of `<samples file>.spool`). */
export function spooledPairs(samplesFile: string): number {
  const file = samplesFile + SPOOL_SUFFIX;
  if (!existsSync(file)) return 0;
  const b = readFileSync(file);
  let n = 0;
  for (let at = 0; at + 4 <= b.length && at + b.readUInt32LE(at) <= b.length; at += b.readUInt32LE(at)) n++;
  return n;
}
