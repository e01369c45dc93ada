import type { Timeline } from '../run/result.ts';
import { INTERRUPTIONS, type Role, type StreamSample } from './sample.ts';

/**
 * Per-target counts of streams that ended in each time bucket (by request start + endMs):
 * completed, errors (no stream: HTTP error, connect error) and interruptions (a 2xx stream that
 * broke; same rule as the summary's interruption rate). Bucket 0 starts at the earliest request.
 * Pure: the same samples give the same timeline.
 */
export function buildTimeline(targets: readonly { name: string; role: Role }[], samples: readonly StreamSample[], bucketMs = 1000): Timeline {
  let origin = Infinity;
  let end = -Infinity;
  for (const s of samples) {
    origin = Math.min(origin, s.startedAt);
    end = Math.max(end, s.startedAt + s.endMs);
  }
  const buckets = samples.length === 0 ? 0 : Math.floor((end - origin) / bucketMs) + 1;
  const series = targets.map((t) => ({
    target: t.name,
    role: t.role,
    completed: new Array<number>(buckets).fill(0),
    errors: new Array<number>(buckets).fill(0),
    interruptions: new Array<number>(buckets).fill(0),
  }));
  const byName = new Map(series.map((s) => [s.target, s]));
  for (const s of samples) {
    const row = byName.get(s.target);
    if (!row) continue;
    const i = Math.floor((s.startedAt + s.endMs - origin) / bucketMs);
    if (s.outcome === 'complete') row.completed[i]!++;
    else if (isInterruption(s)) row.interruptions[i]!++;
    else row.errors[i]!++;
  }
  return { bucketMs, originMs: samples.length === 0 ? null : Math.round(origin), series };
}

function isInterruption(s: StreamSample): boolean {
  return s.status !== undefined && s.status >= 200 && s.status < 300 && INTERRUPTIONS.includes(s.outcome);
}
