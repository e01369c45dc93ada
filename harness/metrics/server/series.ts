import { bucketDelta, bucketQuantile, type Reading } from './exposition.ts';
import { restartsIn, type PolledRead } from './restarts.ts';
import { seriesStats, type Point } from './stats.ts';
import type { ServerSeriesResult } from './result.ts';

/**
 * Polled readings (scrapes of /metrics, polls of a JSON endpoint) → a series over the window.
 * Pure. A read that failed is kept as its reason: when the read before the window or the one
 * after it failed, or fewer than two reads succeeded, the series has no value (its error says
 * why) — a delta or a trend from half a window is never judged.
 */
export type Read = PolledRead;

export type SeriesOutcome = Pick<ServerSeriesResult, 'value' | 'points' | 'stats' | 'kind' | 'error' | 'missed' | 'reads' | 'restarts'>;

export function seriesFromReads(reads: readonly Read[], quantile: number): SeriesOutcome {
  const ok = reads.filter((r): r is { t: number; reading: Reading } => typeof r.reading !== 'string');
  const missed = reads.length - ok.length;
  const first = reads[0];
  const last = reads[reads.length - 1];
  const fail = (error: string): SeriesOutcome => ({ value: null, points: [], stats: null, error, ...(missed ? { missed, reads: reads.length } : {}) });
  if (!first || !last) return fail('empty series: nothing was read in the window');
  if (typeof first.reading === 'string') return fail(`${first.reading} (read at the window's start)`);
  if (typeof last.reading === 'string') return fail(`${last.reading} (read at the window's end)`);
  if (ok.length < 2) return fail('empty series: fewer than two reads in the window');
  const kind = ok[0]!.reading.kind;
  if (ok.some((r) => r.reading.kind !== kind)) return fail(`the metric changed type during the window (${kind} → ${ok.find((r) => r.reading.kind !== kind)!.reading.kind})`);
  let value: number | null;
  let points: Point[];
  if (kind === 'histogram') {
    const hist = ok as { t: number; reading: Extract<Reading, { kind: 'histogram' }> }[];
    value = bucketQuantile(quantile, bucketDelta(hist[0]!.reading.buckets, hist[hist.length - 1]!.reading.buckets));
    points = [];
    for (let i = 1; i < hist.length; i++) {
      const q = bucketQuantile(quantile, bucketDelta(hist[i - 1]!.reading.buckets, hist[i]!.reading.buckets));
      if (q !== null) points.push([hist[i]!.t, q]);
    }
    if (value === null) return { ...fail('empty series: no observation in the histogram during the window'), kind };
  } else if (kind === 'counter') {
    const vals = ok as { t: number; reading: { value: number } }[];
    value = 0;
    points = [];
    for (let i = 1; i < vals.length; i++) {
      const prev = vals[i - 1]!.reading.value;
      const cur = vals[i]!.reading.value;
      // A counter that went down was reset (a restart): it counted up from zero since.
      const inc = cur >= prev ? cur - prev : cur;
      value += inc;
      const dt = (vals[i]!.t - vals[i - 1]!.t) / 1000;
      if (dt > 0) points.push([vals[i]!.t, inc / dt]);
    }
  } else {
    points = (ok as { t: number; reading: { value: number } }[]).map((r) => [r.t, r.reading.value]);
    value = points[points.length - 1]![1];
  }
  const restarts = restartsIn(reads);
  return { kind, value, points, stats: seriesStats(points), ...(missed ? { missed, reads: reads.length } : {}), ...(restarts.length ? { restarts } : {}) };
}
