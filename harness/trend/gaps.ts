import { median } from 'simple-statistics';

/** A stretch between two runs of a history much longer than its usual spacing: a night (or more) with no run. */
export interface TrendGap {
  after: string;
  before: string;
  hours: number;
  /** The history's usual spacing (median between consecutive runs), in hours. */
  usualHours: number;
}

const round = (h: number) => Math.round(h * 10) / 10;

/**
 * Runs missing from a history: consecutive runs further apart than 1.75 × the median spacing
 * (a nightly job that did not run, or whose run.json was lost), so a trend read over them does
 * not pass a missing night off as an uneventful one. Needs 4 runs to know the usual spacing. Pure.
 */
export function findGaps(rows: readonly { runId: string; date: string }[]): TrendGap[] {
  if (rows.length < 4) return [];
  const at = rows.map((r) => Date.parse(r.date));
  const steps = at.slice(1).map((t, i) => t - at[i]!);
  const usual = median(steps);
  if (!(usual > 0)) return [];
  return steps.flatMap((d, i) => (d > 1.75 * usual ? [{ after: rows[i]!.runId, before: rows[i + 1]!.runId, hours: round(d / 3_600_000), usualHours: round(usual / 3_600_000) }] : []));
}

/** How old the newest run is at `now`, in hours, when older than `maxAgeMs`; null when fresh enough. */
export function staleHours(rows: readonly { date: string }[], now: number, maxAgeMs: number): number | null {
  const last = rows.at(-1);
  if (!last) return null;
  const age = now - Date.parse(last.date);
  return age > maxAgeMs ? round(age / 3_600_000) : null;
}
