import { UsageError } from '../../errors.ts';
import type { BadEntry, CaptureEntry, CaptureFormat, CapturedRequest } from './capture.ts';
import type { PacingReport } from './fidelity.ts';
import { takesRequest } from './segments.ts';
import type { ReplayOptions } from './options.ts';
import { compileFilters, endpointOf, outgoing, rewriteRequest, type FilterReason, type ReplayFilters } from './filter.ts';
import { unsendable } from './sendable.ts';

/** What the replay read and left out: written to run.json (`replay`) and printed. */
export interface ReplayReport {
  file: string;
  format: CaptureFormat | string;
  speed: number | 'max';
  loop: number;
  /** Entries read (one pass), requests scheduled (all passes). */
  read: number;
  scheduled: number;
  skipped: { writes: number; filtered: number; window: number };
  bad: number;
  /** Of the bad entries, those read whole but not sendable as written (sendable.ts): never dispatched. */
  unsendable?: number;
  /** Requests replayed without a shadow body rewrite of the config (a body that is not JSON, or lacks the field): sent as captured, as shadow sends such copies. */
  rewriteMissed?: number;
  /** Requests recorded before one read ahead of them (a capture out of time order): sent at once, late against their recorded offsets. */
  outOfOrder?: number;
  /** The first 100 bad entries with where they are. */
  badEntries: BadEntry[];
  /** Share of entries that may be bad before the run is incomplete (`--max-corrupt`; fidelity.ts). */
  maxCorrupt?: number;
  /** Largest entry read (`--max-entry-bytes`; records.ts): a larger one is a bad entry, skipped unread. */
  maxEntryBytes?: number;
  /** How closely the sends kept the recorded offsets (paced replays; fidelity.ts). */
  pacing?: PacingReport;
  /**
   * Endpoints with bad entries whose request was read (not sendable as captured: the endpoint is
   * known; a corrupt or truncated entry names none): their bad entries and all their entries to
   * replay (bad and kept) in one pass. One that lost more than --max-corrupt was judged on part of
   * its traffic (fidelity.ts).
   */
  badEndpoints?: Record<string, { bad: number; entries: number }>;
  /** Endpoints counted in that pass (up to 10,000): how many could have lost entries. */
  endpoints?: number;
  /** Replayed requests read whole (not as streams) whose baseline or candidate answered an SSE stream, and their paths (the first 10): never a pass (fidelity.ts). */
  streamsReadWhole?: number;
  readWholePaths?: string[];
  /** The flags the replay ran with (options.ts): segments of one replay must agree on each. */
  options?: ReplayOptions;
}

export interface ReplayItem {
  req: CapturedRequest;
  /** Intended start, ms after the schedule starts (0 at --speed max: as fast as maxInFlight allows). */
  offsetMs: number;
}

const MAX_LISTED = 100;
/** Endpoints counted for --max-corrupt per endpoint (as many as a policy's route scopes are read for). */
const MAX_ENDPOINTS = 10_000;
// eslint-disable-next-line no-control-regex
const NOT_A_NAME = /[\u0000-\u001f\u007f]/;

/**
 * A capture as a stream of requests to replay at their recorded offsets: filtered, scaled by
 * `speed`, repeated `loop` times (each pass after the last, one mean gap later). Read entry by
 * entry on every pass: nothing of the capture is held.
 */
export class ReplayFeed {
  readonly report: ReplayReport;
  private readonly keep: (r: CapturedRequest) => FilterReason | undefined;

  constructor(
    private readonly entries: () => AsyncGenerator<CaptureEntry>,
    file: string,
    format: CaptureFormat,
    readonly speed: number | 'max',
    readonly loop: number,
    readonly filters: ReplayFilters,
  ) {
    this.keep = compileFilters(filters);
    this.report = { file, format, speed, loop, read: 0, scheduled: 0, skipped: { writes: 0, filtered: 0, window: 0 }, bad: 0, unsendable: 0, badEntries: [] };
  }

  /**
   * An entry as the replay takes it: a request to send, the filter that leaves it out, or a bad
   * entry: corrupt, truncated, or kept by the filters but not sendable as written (undici would
   * refuse it on both sides, which would read as two connect errors; it is caught here instead).
   */
  private take(e: CaptureEntry): { req: CapturedRequest } | { skip: FilterReason } | { bad: BadEntry; unsendable?: CapturedRequest } {
    if (!e.ok) return { bad: e.bad };
    const skip = this.keep(e.req);
    if (skip !== undefined) return { skip };
    const reason = unsendable(e.req, this.filters);
    return reason ? { bad: { at: e.req.at, reason }, unsendable: e.req } : { req: e.req };
  }

  /** The endpoint a captured request is replayed to (its path as rewritten), as gates and reports name it. */
  private endpoint(req: CapturedRequest): string {
    return endpointOf(req, rewriteRequest(req, this.filters).path);
  }

  /** Pass 0's entries per endpoint (up to MAX_ENDPOINTS of them), and the bad ones of those whose request was read. */
  private readonly perEndpoint = new Map<string, { bad: number; entries: number }>();

  private countEndpoint(req: CapturedRequest, bad: boolean): void {
    const name = this.endpoint(req);
    // A path with control characters (a header injected through it) or of any length names no endpoint, and is never echoed.
    if (bad && (NOT_A_NAME.test(name) || name.length > 512)) return;
    let c = this.perEndpoint.get(name);
    if (!c) {
      if (this.perEndpoint.size >= MAX_ENDPOINTS) return;
      this.perEndpoint.set(name, (c = { bad: 0, entries: 0 }));
      this.report.endpoints = this.perEndpoint.size;
    }
    c.entries++;
    if (bad) {
      c.bad++;
      // No prototype: an endpoint named `__proto__` is a name like any other.
      (this.report.badEndpoints ??= Object.create(null) as Record<string, { bad: number; entries: number }>)[name] = c;
    }
  }

  /**
   * Before any traffic: reads until one request is kept (the whole capture with `endpoints`, to
   * return the endpoints it replays, up to 10,000, for a policy's route scopes); a capture with
   * none is exit 3 with the reason.
   */
  async check(endpoints = false): Promise<string[]> {
    const seen = { entries: 0, bad: 0, writes: 0, filtered: 0, window: 0 };
    const found = new Set<string>();
    for await (const e of this.entries()) {
      seen.entries++;
      const t = this.take(e);
      if ('bad' in t) {
        seen.bad++;
        continue;
      }
      if ('req' in t) {
        if (!endpoints) return [];
        if (found.size < 10_000) found.add(this.endpoint(t.req));
        continue;
      }
      seen[t.skip === 'write' ? 'writes' : t.skip]++;
    }
    if (found.size) return [...found];
    const parts = [
      seen.bad && `${seen.bad} corrupt, truncated or unsendable as written`,
      seen.writes && `${seen.writes} writes (POST/PUT/PATCH/DELETE; replay them with --allow-writes)`,
      seen.filtered && `${seen.filtered} left out by --include/--exclude`,
      seen.window && `${seen.window} outside --from/--to`,
    ].filter(Boolean);
    throw new UsageError(`${this.report.file}: no request left to replay after filters (${seen.entries} entries read${parts.length ? `: ${parts.join(', ')}` : ''})`);
  }

  /** A replayed request read whole whose baseline or candidate answered with an SSE stream (pair.ts). */
  readWhole(req: CapturedRequest): void {
    const r = this.report;
    r.streamsReadWhole = (r.streamsReadWhole ?? 0) + 1;
    const p = rewriteRequest(req, this.filters).path.split('?', 1)[0]!;
    const paths = (r.readWholePaths ??= []);
    if (paths.length < 10 && !paths.includes(p)) paths.push(p);
  }

  /** The requests to replay; a segment's share only (`shard`: request i when i mod count = index; segments.ts). */
  async *items(signal: AbortSignal, shard = { index: 0, count: 1 }): AsyncGenerator<ReplayItem> {
    let base = 0;
    let index = 0;
    for (let pass = 0; pass < this.loop && !signal.aborted; pass++) {
      let first: number | undefined;
      let last = 0;
      let count = 0;
      for await (const e of this.entries()) {
        if (signal.aborted) return;
        if (pass === 0) this.report.read++;
        const t = this.take(e);
        if ('bad' in t) {
          if (pass === 0) {
            this.report.bad++;
            if (t.unsendable) {
              this.report.unsendable!++;
              this.countEndpoint(t.unsendable, true);
            }
            if (this.report.badEntries.length < MAX_LISTED) this.report.badEntries.push(t.bad);
          }
          continue;
        }
        if ('skip' in t) {
          if (pass === 0) this.report.skipped[t.skip === 'write' ? 'writes' : t.skip]++;
          continue;
        }
        const { req } = t;
        if (pass === 0) this.countEndpoint(req, false);
        if (pass === 0 && this.filters.copy?.rewrite.some((w) => w.body !== undefined)) {
          const missed = outgoing(req, this.filters).rewriteMissed;
          if (missed) this.report.rewriteMissed = (this.report.rewriteMissed ?? 0) + 1;
        }
        if (pass === 0 && first !== undefined && req.t < last) this.report.outOfOrder = (this.report.outOfOrder ?? 0) + 1;
        first ??= req.t;
        last = Math.max(last, req.t);
        count++;
        if (!takesRequest(index++, shard)) continue;
        this.report.scheduled++;
        yield { req, offsetMs: this.speed === 'max' ? 0 : base + Math.max(0, req.t - first) / this.speed };
      }
      if (this.speed !== 'max' && first !== undefined) {
        const span = (last - first) / this.speed;
        base += span + (count > 1 ? span / (count - 1) : 0);
      }
    }
  }
}

/** `2x`, `0.5x`, `2` or `max`. */
export function parseSpeed(v: string | undefined): number | 'max' {
  if (v === undefined) return 1;
  if (v === 'max') return 'max';
  const n = Number(v.replace(/x$/i, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new UsageError(`--speed takes a factor such as 2x or 0.5x (up to 1000x), or max; got "${v}"`);
  return n;
}

/** The replay's counts for the terminal, with every bad entry listed (up to the first 100). */
export function describeReplay(r: ReplayReport): string {
  const lines = [
    `replay of ${r.file} (${r.format}, speed ${r.speed === 'max' ? 'max' : `${r.speed}x`}, ${r.loop} pass${r.loop > 1 ? 'es' : ''}): ${r.read} entries read, ${r.scheduled} requests scheduled; left out: ${r.skipped.writes} writes (replay them with --allow-writes), ${r.skipped.filtered} by --include/--exclude, ${r.skipped.window} outside --from/--to; ${r.bad} corrupt or truncated${r.unsendable ? ` (${r.unsendable} of them cannot be sent as written)` : ''}`,
    ...r.badEntries.map((b) => `  bad ${b.at}: ${b.reason}`),
  ];
  if (r.bad > r.badEntries.length) lines.push(`  ... and ${r.bad - r.badEntries.length} more`);
  if (r.rewriteMissed) lines.push(`shadow rewrite: ${r.rewriteMissed} requests sent without the config's shadow body rewrite (a body that is not JSON, or without the field): their ids went to both targets as captured`);
  if (r.outOfOrder) lines.push(`out of order: ${r.outOfOrder} requests are recorded before a request read ahead of them (the capture is not in time order): each was sent at once, late against its recorded offset`);
  if (r.pacing) lines.push(`pacing: ${r.pacing.sent - r.pacing.late} of ${r.pacing.sent} requests sent within ${r.pacing.toleranceMs} ms of their recorded offsets; ${r.pacing.late} later (worst ${r.pacing.worstMs} ms)`);
  return lines.join('\n') + '\n';
}
