import { fileDigest } from '../digest.ts';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from './result.ts';
import { SPOOL_SUFFIX } from './sample-spool.ts';
import { SEGMENT_STATE_FILE } from './segment-run.ts';

/**
 * sha256 of the samples file a segment leaves at its end, recorded in its run.json (`segment.files`)
 * so `parity merge` can tell the file in a segment's folder is that segment's own: another
 * segment's samples with as many pairs (a CI step that copied the wrong artifact) would be judged
 * twice, and the missing segment's pairs not at all. null: the segment left no samples file;
 * undefined: its samples are not final yet (a spool or a worker's part is still beside the file,
 * after a harness error), and there is nothing to record.
 */
export async function samplesDigest(file: string): Promise<string | null | undefined> {
  const base = path.basename(file);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  if (names.some((n) => n.startsWith(base + '.') && (n.endsWith(SPOOL_SUFFIX) || /^\d+$/.test(n.slice(base.length + 1))))) return undefined;
  return (await fileDigest(file))?.sha256 ?? null;
}

/** What does not match in a segment's folder, each a sentence for the merged run's incompleteReason. */
export interface ForeignFiles {
  /** Its samples file is not the one it wrote (another segment's, edited, cut short): merge leaves it out. */
  samples?: string;
  /** The pairs (lines) that file holds, when it is left out. */
  samplesPairs?: number;
  /** Its state file is not the one it wrote: merge rebuilds its summaries from its samples. */
  state?: string;
  /** A finished segment whose run.json records no digests (an older parity): its files cannot be shown to be its own. */
  unrecorded?: string;
}

/**
 * Checks the files in a finished segment's folder against the sha256 its run.json recorded at its
 * end. A segment killed before its end recorded none and is merged as incomplete anyway (its
 * summaries are rebuilt from what it spooled). `stateSha256` is that of the state file there, if any.
 */
export async function foreignFiles(dir: string, run: RunResult, stateSha256: string | undefined): Promise<ForeignFiles> {
  const seg = run.segment!;
  if (run.endedAt === null) return {};
  const label = `segment ${seg.index}/${seg.count} (${dir})`;
  const copy = "another segment's file copied into this folder? Copy each segment's whole folder back";
  const recorded = seg.files;
  if (!recorded) return { unrecorded: `${label}: its run.json records no sha256 of its ${run.samples.file} and ${SEGMENT_STATE_FILE} (written by an older parity), so they cannot be shown to be its own; run the segments again with this parity` };
  const out: ForeignFiles = {};
  if (recorded.samples !== undefined) {
    const have = await fileDigest(path.join(dir, run.samples.file));
    if (have !== null && have.sha256 !== recorded.samples) {
      out.samples = `${label}: its ${run.samples.file} is not the one it wrote (sha256 ${have.sha256.slice(0, 12)}…, its run.json says ${recorded.samples === null ? 'it wrote none' : `${recorded.samples.slice(0, 12)}…`}); left out of the merged samples: ${copy}`;
      out.samplesPairs = have.lines;
    }
  }
  if (stateSha256 !== undefined && stateSha256 !== recorded.state) {
    out.state = `${label}: its ${SEGMENT_STATE_FILE} is not the one it wrote (sha256 ${stateSha256.slice(0, 12)}…, its run.json says ${recorded.state.slice(0, 12)}…); its summaries are rebuilt from its samples: ${copy}`;
  }
  return out;
}
