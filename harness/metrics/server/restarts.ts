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

/**
 * Labels that name a process (or the scrape target serving it) rather than what it counted: the
 * only matchers of a series' PromQL carried over to its process_start_time_seconds.
 */
const IDENTITY = new Set(['instance', 'job', 'pod', 'pod_name', 'kubernetes_pod_name', 'container', 'namespace', 'service', 'app', 'exported_instance', 'exported_job']);
const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * The prometheus source: `process_start_time_seconds{…}` with the identity matchers (instance,
 * job, pod, …) of the series' first selector, or null when it has none (no restart can be looked
 * up, and none is recorded).
 */
export function startTimeQuery(query: string): string | null {
  const block = /\{([^{}]*)\}/.exec(query)?.[1];
  if (!block) return null;
  const kept = [...block.matchAll(MATCHER)].filter((m) => IDENTITY.has(m[1]!)).map((m) => `${m[1]}${m[2]}"${m[3]}"`);
  return kept.length ? `process_start_time_seconds{${kept.join(',')}}` : null;
}

/** Restarts in a range query of process_start_time_seconds (label sets summed): the sum changed between two steps. */
export function restartsInStartTimes(points: readonly (readonly [number, number])[]): SeriesRestart[] {
  const out: SeriesRestart[] = [];
  for (let i = 1; i < points.length; i++) {
    if (Math.abs(points[i]![1] - points[i - 1]![1]) > START_JITTER_S) out.push({ after: points[i - 1]![0], before: points[i]![0], signal: 'prometheus' });
  }
  return out;
}
