import type { Reading } from './exposition.ts';
import type { SeriesRestart } from './result.ts';

/**
 * Restarts of a target's process seen in its polled reads, in order. Pure. A leaking process that
 * is OOM-killed and restarted mid-window reads as memory falling back: growth, slope, last, min
 * and mean over such a window compare two processes. Between two successful reads the process
 * restarted when
 *
 *   process_start_time_seconds changed (read beside the series; prom-client, Go and Python
 *   clients expose it): the one signal that also says it did not, when it is there;
 *   otherwise, a counter (or a histogram's count) went backwards;
 *   otherwise, a read in between was refused (nothing listening on the port: the process was down).
 */
export type PolledRead = { t: number; reading: Reading | string; start?: number | undefined; refused?: boolean | undefined };

/** A start time is a whole second in some clients and computed from uptime in others: jitter below this is the same process. */
const START_JITTER_S = 1;

export function restartsIn(reads: readonly PolledRead[]): SeriesRestart[] {
  const out: SeriesRestart[] = [];
  let prev: (PolledRead & { reading: Reading }) | undefined;
  let refused = false;
  for (const r of reads) {
    if (typeof r.reading === 'string') {
      refused ||= r.refused === true;
      continue;
    }
    const cur = r as PolledRead & { reading: Reading };
    const signal = prev ? between(prev, cur, refused) : undefined;
    if (signal) out.push({ after: prev!.t, before: cur.t, signal });
    prev = cur;
    refused = false;
  }
  return out;
}

function between(a: PolledRead & { reading: Reading }, b: PolledRead & { reading: Reading }, refused: boolean): SeriesRestart['signal'] | undefined {
  if (a.start !== undefined && b.start !== undefined) return Math.abs(b.start - a.start) > START_JITTER_S ? 'process_start_time' : undefined;
  if (a.reading.kind === 'counter' && b.reading.kind === 'counter' && b.reading.value < a.reading.value) return 'counter_reset';
  if (a.reading.kind === 'histogram' && b.reading.kind === 'histogram' && b.reading.count < a.reading.count) return 'counter_reset';
  return refused ? 'refused' : undefined;
}
