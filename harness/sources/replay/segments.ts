import { isDeepStrictEqual } from 'node:util';
import type { RunResult } from '../../run/result.ts';
import { OPTION_FLAGS, type ReplayOptions } from './options.ts';

type Replay = NonNullable<RunResult['replay']>;

/**
 * `parity replay --segment K/N`: segment K takes the capture's scheduled requests numbered i (in
 * capture order, over every pass) with i mod N = K−1, at the offsets one machine would give them;
 * each reads the whole capture, so what it read, left out and found bad is the same in every one.
 */
export function takesRequest(i: number, shard: { index: number; count: number }): boolean {
  return i % shard.count === shard.index;
}

/**
 * Why two segments did not replay the same capture the same way, or undefined. The capture's counts
 * (read, left out, bad) are compared only with `counts` (both segments ended): a segment killed
 * before its end holds what it had read by then (nothing, in the run.json written as it started),
 * and is merged as an incomplete segment, not refused.
 */
export function replaySegmentMismatch(a: Replay | undefined, b: Replay | undefined, counts = true): string | undefined {
  if (!a && !b) return undefined;
  if (!a || !b) return 'one is a replay and the other is not';
  const key = (r: Replay) => JSON.stringify({ format: r.format, speed: r.speed, loop: r.loop, ...(counts ? { read: r.read, skipped: r.skipped, bad: r.bad } : {}), maxCorrupt: r.maxCorrupt });
  if (key(a) !== key(b)) return `the capture or replay flags differ (${key(b)} there, ${key(a)} here): replay the same capture with the same flags in every segment`;
  // What each segment sent and how it read the answers: a segment without the record (an older parity) against one with it differs too.
  if (!a.options || !b.options) return a.options || b.options ? 'one recorded its replay flags (run.json replay.options) and the other did not: replay every segment with the same parity' : undefined;
  for (const k of Object.keys(OPTION_FLAGS) as (keyof ReplayOptions)[]) {
    if (!isDeepStrictEqual(a.options[k], b.options[k])) {
      return `${OPTION_FLAGS[k]} differs (${JSON.stringify(b.options[k])} there, ${JSON.stringify(a.options[k])} here): replay the same capture with the same flags in every segment`;
    }
  }
  return undefined;
}

/**
 * The replay record of the merged run: the capture's counts once (from `ref`, a segment that ended
 * when there is one: it read the whole capture), the scheduled requests and pacing summed.
 */
export function mergeReplays(reports: readonly Replay[], ref: Replay = reports[0]!): Replay {
  const out: Replay = { ...ref, badEntries: [...ref.badEntries], scheduled: reports.reduce((a, r) => a + r.scheduled, 0) };
  const paced = reports.map((r) => r.pacing).filter((p) => p !== undefined);
  if (paced.length) {
    out.pacing = { toleranceMs: paced[0]!.toleranceMs, sent: paced.reduce((a, p) => a + p.sent, 0), late: paced.reduce((a, p) => a + p.late, 0), worstMs: Math.max(...paced.map((p) => p.worstMs)) };
  }
  const whole = reports.reduce((a, r) => a + (r.streamsReadWhole ?? 0), 0);
  if (whole) {
    out.streamsReadWhole = whole;
    out.readWholePaths = [...new Set(reports.flatMap((r) => r.readWholePaths ?? []))].slice(0, 10);
  }
  return out;
}
