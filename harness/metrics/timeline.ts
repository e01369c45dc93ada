import type { Timeline } from '../run/result.ts';
import { INTERRUPTIONS, isSuccess, type Role, type StreamSample } from './sample.ts';

/** A timeline's state as plain data (crosses from a worker thread to the run). */
export interface TimelineJSON {
  bucketMs: number;
  minStart: number | null;
  /** Per target: [absolute bucket, completed, errors, interruptions] rows. */
  rows: Record<string, [number, number, number, number][]>;
}

/**
 * Per-target counts of streams that ended in each time bucket (by request start + endMs):
 * completed, errors (no stream: HTTP error, connect error) and interruptions (a 2xx stream that
 * broke; same rule as the summary's interruption rate). Buckets are whole seconds of the clock
 * (bucket 0 starts at the whole second of the earliest request), so shards on worker threads
 * merge by adding rows. Fed a sample at a time: memory grows with the run's length, not its samples.
 */
export class TimelineAccumulator {
  private readonly rows = new Map<string, Map<number, [number, number, number]>>();
  private minStart = Infinity;

  constructor(readonly bucketMs = 1000) {}

  add(s: StreamSample): void {
    if (s.startedAt < this.minStart) this.minStart = s.startedAt;
    const bucket = Math.floor((s.startedAt + s.endMs) / this.bucketMs);
    let byBucket = this.rows.get(s.target);
    if (!byBucket) this.rows.set(s.target, (byBucket = new Map()));
    let row = byBucket.get(bucket);
    if (!row) byBucket.set(bucket, (row = [0, 0, 0]));
    row[isSuccess(s.outcome) ? 0 : isInterruption(s) ? 2 : 1]++;
  }

  merge(other: TimelineJSON): void {
    if (other.minStart !== null && other.minStart < this.minStart) this.minStart = other.minStart;
    for (const [target, rows] of Object.entries(other.rows)) {
      let byBucket = this.rows.get(target);
      if (!byBucket) this.rows.set(target, (byBucket = new Map()));
      for (const [bucket, c, e, i] of rows) {
        const row = byBucket.get(bucket) ?? [0, 0, 0];
        byBucket.set(bucket, [row[0] + c, row[1] + e, row[2] + i]);
      }
    }
  }

  toJSON(): TimelineJSON {
    const rows: TimelineJSON['rows'] = {};
    for (const [target, byBucket] of this.rows) rows[target] = [...byBucket].map(([b, r]) => [b, ...r]);
    return { bucketMs: this.bucketMs, minStart: Number.isFinite(this.minStart) ? this.minStart : null, rows };
  }

  timeline(targets: readonly { name: string; role: Role }[]): Timeline {
    const keys = [...this.rows.values()].flatMap((m) => [...m.keys()]);
    if (keys.length === 0) return { bucketMs: this.bucketMs, originMs: null, series: targets.map((t) => empty(t, 0)) };
    const first = Math.floor(this.minStart / this.bucketMs);
    const buckets = Math.max(...keys) - first + 1;
    const series = targets.map((t) => {
      const row = empty(t, buckets);
      for (const [bucket, [c, e, i]] of this.rows.get(t.name) ?? []) {
        row.completed[bucket - first]! += c;
        row.errors[bucket - first]! += e;
        row.interruptions[bucket - first]! += i;
      }
      return row;
    });
    return { bucketMs: this.bucketMs, originMs: first * this.bucketMs, series };
  }
}

function empty(t: { name: string; role: Role }, n: number) {
  return { target: t.name, role: t.role, completed: new Array<number>(n).fill(0), errors: new Array<number>(n).fill(0), interruptions: new Array<number>(n).fill(0) };
}

/** The timeline of a set of samples. Pure: the same samples give the same timeline. */
export function buildTimeline(targets: readonly { name: string; role: Role }[], samples: Iterable<StreamSample>, bucketMs = 1000): Timeline {
  const acc = new TimelineAccumulator(bucketMs);
  for (const s of samples) acc.add(s);
  return acc.timeline(targets);
}

function isInterruption(s: StreamSample): boolean {
  return s.status !== undefined && s.status >= 200 && s.status < 300 && INTERRUPTIONS.includes(s.outcome);
}
