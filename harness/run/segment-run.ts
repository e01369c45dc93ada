import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../output/atomic.ts';
import { hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LoadedConfig } from '../config/load.ts';
import type { Segment } from '../load/segment.ts';
import type { SegmentRecord } from './segment-result.ts';
import type { ShardState } from './shard.ts';

/** What `runParity` needs to run one execution segment. */
export interface SegmentRun extends Segment {
  /** The start signal (`--start-at`), epoch ms by this machine's clock; none: start now. */
  startAtMs?: number | undefined;
}

/** A segment's run folder: `<out>/<run-id>/segments/<K>-of-<N>/`; `parity merge` writes `<out>/<run-id>/` by default. */
export function segmentDir(outDir: string, runId: string, s: Segment): string {
  return path.resolve(outDir, runId, 'segments', `${s.index + 1}-of-${s.count}`);
}

/** The shard states a segment measured, beside its run.json, so `parity merge` adds histograms rather than re-reading samples. */
export const SEGMENT_STATE_FILE = 'segment-state.json';

/** Writes the state; returns the sha256 of the bytes written (run.json `segment.files.state`). */
export async function writeSegmentState(dir: string, shards: readonly ShardState[]): Promise<string> {
  const file = path.join(dir, SEGMENT_STATE_FILE);
  const text = JSON.stringify({ stateVersion: 1, shards });
  // Written whole and renamed into place: a reader never sees half a state.
  await writeFileAtomic(file, text, 'the segment state');
  return createHash('sha256').update(text).digest('hex');
}

/** The state in a segment's folder and the sha256 of its bytes, or undefined when there is none. */
export async function readSegmentState(dir: string): Promise<{ shards: ShardState[]; sha256: string } | undefined> {
  const file = path.join(dir, SEGMENT_STATE_FILE);
  if (!existsSync(file)) return undefined;
  const bytes = await readFile(file);
  const doc = JSON.parse(bytes.toString('utf8')) as { stateVersion?: number; shards?: ShardState[] };
  return doc.stateVersion === 1 && Array.isArray(doc.shards) ? { shards: doc.shards, sha256: createHash('sha256').update(bytes).digest('hex') } : undefined;
}

/** sha256 of the prompt sets the scenarios read: two segments with the same config echo but other prompt files are other plans. */
export function promptsDigest(loaded: LoadedConfig): string {
  const h = createHash('sha256');
  for (const s of loaded.scenarios) h.update(JSON.stringify([s.name, s.type === 'stream' ? s.prompts.map((p) => [p.text, p.expectsCitations]) : s.routes]));
  return h.digest('hex');
}

/**
 * The clock of one segment: where the schedule starts in this process's monotonic time (the start
 * signal, read by the wall clock once), how late it really started, and how far the wall clock moved
 * against the monotonic one by the end (a clock stepped mid-run shifts every epoch stamp).
 */
export function segmentClock(s: SegmentRun | undefined) {
  const wall0 = Date.now();
  const mono0 = performance.now();
  const signal = s?.startAtMs !== undefined ? mono0 + (s.startAtMs - wall0) : undefined;
  let started: number | undefined;
  return {
    /** Wall clock − (performance.timeOrigin + performance.now()), read once with the signal: epoch stamps of the schedule are the signal's. */
    wallClockOffsetMs: s ? wall0 - (performance.timeOrigin + mono0) : 0,
    /** performance.now() at which the schedule starts: the signal (past or future), or now. */
    startAt: () => signal ?? performance.now(),
    /** The schedule really started at this performance.now() (the signal, or later when this process was late). */
    started(at: number) {
      started = at;
    },
    record(s: SegmentRun, plannedIterations: number | null, prompts: string, ended: boolean): SegmentRecord {
      const at = started ?? performance.now();
      return {
        index: s.index + 1,
        count: s.count,
        source: s.source,
        startAt: s.startAtMs !== undefined ? new Date(s.startAtMs).toISOString() : null,
        scheduleStartedAt: new Date(wall0 + (at - mono0)).toISOString(),
        startOffsetMs: signal === undefined ? 0 : Math.round(Math.max(0, at - signal) * 1000) / 1000,
        wallClockDriftMs: ended ? Math.round((Date.now() - wall0 - (performance.now() - mono0)) * 1000) / 1000 : null,
        plannedIterations,
        prompts,
        host: hostname(),
      };
    },
  };
}
