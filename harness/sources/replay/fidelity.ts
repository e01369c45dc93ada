/** How far from its recorded offset (after the schedule's start) a replayed request may be sent. */
export const PACING_TOLERANCE_MS = 5;
/** Default share of a capture's entries that may be unreadable before the replay is incomplete (`--max-corrupt`). */
export const DEFAULT_MAX_CORRUPT = 0.01;
/** Share of paced requests that may be sent later than the tolerance before the harness reports itself unhealthy. */
export const MAX_LATE_SHARE = 0.01;

/** run.json `replay.pacing`: how closely the sends kept the recorded offsets (not at --speed max). */
export interface PacingReport {
  toleranceMs: number;
  /** Pairs sent, and those whose later side left more than toleranceMs after its recorded offset. */
  sent: number;
  late: number;
  /** The largest dispatch lag of any pair (ms). */
  worstMs: number;
}

/** Counts each replayed pair's dispatch lag (the later of its two sends) against the tolerance. */
export class PacingTally {
  private readonly r: PacingReport = { toleranceMs: PACING_TOLERANCE_MS, sent: 0, late: 0, worstMs: 0 };

  observe(lagMs: number): void {
    this.r.sent++;
    if (lagMs > PACING_TOLERANCE_MS) this.r.late++;
    if (lagMs > this.r.worstMs) this.r.worstMs = Math.round(lagMs * 1000) / 1000;
  }

  toJSON(): PacingReport {
    return { ...this.r };
  }
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Chance, over the capture's endpoints together, of naming an endpoint whose entries went bad no more often than --max-corrupt allows. */
const FALSE_ALARM = 0.05;

/**
 * Endpoints that lost more than `max` of their own entries beyond chance, as "checkout: 9 of its 12
 * capture entries (75%) cannot be sent as captured". --max-corrupt tolerates a share of the
 * capture; the tolerated bad entries falling on one endpoint leave it judged on a fraction of its
 * traffic, its gates and guards reading the rest as if it were all
 * (test/redteam/max-corrupt-one-endpoint.test.ts). Beyond chance: as many bad entries or more have
 * a binomial probability below 5% split over the `endpoints` counted (Bonferroni) when each entry
 * is bad with probability `max`, so one bad entry of 12 (or of a path seen once) is what a 1%
 * spread gives, and 9 of 12 is not.
 */
function endpointsLost(byEndpoint: Record<string, { bad: number; entries: number }> | undefined, endpoints: number, max: number): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(byEndpoint ?? {})) {
    if (c.entries <= 0 || c.bad / c.entries <= max) continue;
    if (atLeast(c.bad, c.entries, max) >= FALSE_ALARM / Math.max(1, endpoints)) continue;
    out.push(`${name}: ${c.bad} of its ${c.entries} capture entries (${pct(c.bad / c.entries)}) cannot be sent as captured`);
  }
  return out;
}

/** P(X >= k) for X ~ Binomial(n, p), summed in log space from k up until the terms vanish. */
function atLeast(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let term = logChoose(n, k) + k * lp + (n - k) * lq;
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const t = Math.exp(term);
    sum += t;
    if (t < sum * 1e-12) break;
    term += Math.log(n - i) - Math.log(i + 1) + lp - lq;
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= Math.min(k, n - k); i++) s += Math.log(n - Math.min(k, n - k) + i) - Math.log(i);
  return s;
}

/**
 * What a replay's own record says about the verdict. More of the capture unreadable than
 * `maxCorrupt` allows: the replay did not send what was captured, so the run is incomplete (never a
 * pass). More than 1% of the paced requests sent late: a harness-health warning (no pass either),
 * since the traffic the candidate saw was not the recorded traffic's pace.
 */
export function replayFindings(r: {
  read: number;
  bad: number;
  unsendable?: number | undefined;
  skipped?: { writes: number; filtered: number; window: number } | undefined;
  maxCorrupt?: number | undefined;
  pacing?: PacingReport | undefined;
  badEndpoints?: Record<string, { bad: number; entries: number }> | undefined;
  endpoints?: number | undefined;
  outOfOrder?: number | undefined;
  streamsReadWhole?: number | undefined;
  readWholePaths?: string[] | undefined;
}): { incomplete?: string; warnings: string[] } {
  const out: { incomplete?: string; warnings: string[] } = { warnings: [] };
  const max = r.maxCorrupt ?? DEFAULT_MAX_CORRUPT;
  // The share is of the entries meant to be replayed (the bad ones and those the filters kept):
  // entries left out by --include/--exclude, --from/--to or writes would otherwise dilute it, and a
  // replay of 100 kept requests of which 50 were never sent would count as 0.5% of 10,000 read.
  const left = r.skipped ? r.skipped.writes + r.skipped.filtered + r.skipped.window : 0;
  const meant = r.read - left;
  if (meant > 0 && r.bad > 0 && r.bad / meant > max) {
    const of = left > 0 ? `${meant} capture entries to replay (${r.read} read, ${left} left out by filters, window or writes)` : `${meant} capture entries`;
    out.incomplete = `${r.bad} of ${of} (${pct(r.bad / meant)}) were corrupt or truncated${r.unsendable ? ` (${r.unsendable} of them cannot be sent as written)` : ''}, over --max-corrupt ${pct(max)}: the replay did not send what was captured (each bad entry is listed in run.json replay.badEntries)`;
  }
  const lost = endpointsLost(r.badEndpoints, r.endpoints ?? 1, max);
  if (!out.incomplete && lost.length) {
    out.incomplete = `${lost.join('; ')}: over --max-corrupt ${pct(max)} of the endpoint's own traffic (beyond what that share spread over the capture gives by chance), so the replay did not send what was captured there and the endpoint was judged on part of its requests (each bad entry is listed in run.json replay.badEntries, per endpoint in replay.badEndpoints)`;
  }
  const p = r.pacing;
  if (p && p.sent > 0 && p.late / p.sent > MAX_LATE_SHARE) {
    out.warnings.push(
      `replay pacing: ${p.late} of ${p.sent} requests (${pct(p.late / p.sent)}) were sent more than ${p.toleranceMs} ms after their recorded offsets (worst ${p.worstMs} ms): the recorded inter-arrival times were not kept; ${r.outOfOrder ? `${r.outOfOrder} of the capture's requests are out of time order (sent at once, late by design): sort the capture by time` : 'use a less busy machine or a lower --speed'}`,
    );
  }
  // A stream read as a whole response measures none of what makes it right (first content,
  // interruptions, the terminal event): a candidate whose streams end in an error event, empty or
  // cut short reads `ok` there (test/redteam/replay-streams-read-whole.test.ts).
  if (r.streamsReadWhole) {
    const n = r.streamsReadWhole;
    const paths = r.readWholePaths ?? [];
    out.warnings.push(
      `${n} replayed response${n === 1 ? ' was an SSE stream' : 's were SSE streams'} read as whole responses${paths.length ? ` (${paths.join(', ')})` : ''}: the request${n === 1 ? '' : 's'} did not accept text/event-stream and no --stream path matched, so first content, interruptions and the terminal event were not measured and a stream cut short read as ok; replay ${n === 1 ? 'it' : 'them'} as streams with --stream '${paths[0] ?? '/path*'}'`,
    );
  }
  return out;
}
