import type { ReplayFilters } from './filter.ts';

/**
 * The flags that shape what a `parity replay` sends and how it reads the answers, as run.json
 * `replay.options` records them. Segments of one replay must agree on every one (segments.ts):
 * two segments that rewrote paths differently, dropped other headers, read other paths as streams,
 * capped in-flight requests differently or diffed another share of pairs did not run one test, and
 * merged they would be judged as one.
 */
export interface ReplayOptions {
  /** sha256 of the capture file (segment runs only: reading it again costs a pass over the file). */
  digest: string | null;
  include: string[];
  exclude: string[];
  allowWrites: boolean;
  from: number | null;
  to: number | null;
  /** `--rewrite FROM=TO`, in order (first match wins). */
  rewrite: string[];
  dropHeader: string[];
  stream: string[];
  maxInFlight: number;
  /** Share of pairs diffed (`--compare`), 0..1. */
  compare: number;
  maxEntryBytes: number;
}

/** How each option is named to the user, in the order they are compared. */
export const OPTION_FLAGS: Record<keyof ReplayOptions, string> = {
  digest: 'the capture file (sha256)',
  include: '--include',
  exclude: '--exclude',
  allowWrites: '--allow-writes',
  from: '--from',
  to: '--to',
  rewrite: '--rewrite',
  dropHeader: '--drop-header',
  stream: '--stream',
  maxInFlight: '--max-in-flight',
  compare: '--compare',
  maxEntryBytes: '--max-entry-bytes',
};

const set = (xs: readonly string[]) => [...new Set(xs)].sort();

/** The options record of a replay: lists whose order does not matter are sorted, so only a real difference differs. */
export function replayOptions(o: { digest: string | undefined; filters: ReplayFilters; streams: string[]; maxInFlight: number; compare: number; maxEntryBytes: number }): ReplayOptions {
  const f = o.filters;
  return {
    digest: o.digest ?? null,
    include: set(f.include),
    exclude: set(f.exclude),
    allowWrites: f.allowWrites,
    from: f.from ?? null,
    to: f.to ?? null,
    rewrite: f.rewrites.map((r) => `${r.from}=${r.to}`),
    dropHeader: set(f.dropHeaders.map((h) => h.toLowerCase())),
    stream: set(o.streams),
    maxInFlight: o.maxInFlight,
    compare: o.compare,
    maxEntryBytes: o.maxEntryBytes,
  };
}
