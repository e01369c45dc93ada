import { UsageError } from '../errors.ts';
import { executeRun } from '../pipeline/run.ts';
import { openCapture } from '../sources/replay/detect.ts';
import { ReplayComparer } from '../sources/replay/compare.ts';
import { parseSpeed, ReplayFeed } from '../sources/replay/feed.ts';
import { DEFAULT_MAX_CORRUPT, PacingTally } from '../sources/replay/fidelity.ts';
import { REPLAY_SCENARIO } from '../sources/replay/pair.ts';
import { captureDigest } from '../sources/replay/digest.ts';
import { replayOptions } from '../sources/replay/options.ts';
import { DEFAULT_MAX_ENTRY_BYTES } from '../sources/replay/records.ts';
import { replayLoaded, streamPaths } from '../sources/replay/source.ts';
import type { Command } from './command.ts';
import { RUN_HELP, RUN_OPTIONS, runOptionsFrom } from './run.ts';

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [v as string]);

function time(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const t = /^\d+$/.test(v as string) ? Number(v) : Date.parse(v as string);
  if (!Number.isFinite(t)) throw new UsageError(`${flag} takes an ISO 8601 time or epoch ms, e.g. ${flag} 2026-11-29T14:00:00Z; got "${String(v)}"`);
  return t;
}

function count(flag: string, v: unknown, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} takes a whole number from 1 to ${max}, got "${String(v)}"`);
  return n;
}

function rewrites(v: unknown): { from: string; to: string }[] {
  return list(v).map((r) => {
    const [from, to] = r.split('=', 2);
    if (!from?.startsWith('/') || to === undefined || (to !== '' && !to.startsWith('/'))) throw new UsageError(`--rewrite takes FROM=TO path prefixes, e.g. --rewrite /v1/=/api/v1/; got "${r}"`);
    return { from, to };
  });
}

/** `--max-corrupt`: `0.5%`, `0.005` or `0` (any bad entry makes the run incomplete). */
function corruptShare(v: string | undefined): number {
  if (v === undefined) return DEFAULT_MAX_CORRUPT;
  const n = v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--max-corrupt takes the share of capture entries that may be corrupt or truncated: "0.5%", 0.005 or 0; got "${v}"`);
  // A bare 1 reads as "every entry may be bad", which someone who meant 1% (the usage line's example) would never see.
  if (!v.endsWith('%') && n >= 1) throw new UsageError(`--max-corrupt ${v} would let every capture entry be corrupt (a bare number is a share: 1 = 100%); write "1%" for one percent, or "100%" if you mean it`);
  return n;
}

/** `--max-entry-bytes`: `16MiB`, `512KiB`, `1GiB` or a whole number of bytes. */
function entryBytes(v: string | undefined): number {
  if (v === undefined) return DEFAULT_MAX_ENTRY_BYTES;
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(v.trim());
  const n = m ? Number(m[1]) * { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[(m[2] ?? 'B') as 'B'] : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-entry-bytes takes a size in bytes, or with KiB, MiB or GiB, e.g. --max-entry-bytes 64MiB; got "${v}"`);
  return n;
}

/** `5%`, `0.05`, `all` or `none`. */
function compareShare(v: string | undefined): number {
  if (v === undefined || v === 'none') return 0;
  if (v === 'all') return 1;
  const n = v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--compare takes a share of pairs: "5%", 0.05, "all" or "none"; got "${v}"`);
  return n;
}

const { workers: _workers, 'check-profile': _check, ...SHARED } = RUN_OPTIONS;
const { workers: _w, 'check-profile': _c, ...SHARED_HELP } = RUN_HELP;

export const replayCommand: Command = {
  usage: 'replay <capture> --config <config> [--speed 2x|max] [--loop n] [--policy p] [--allow-writes] [--include p] [--exclude p] [--from t] [--to t] [--max-corrupt 1%] [--max-entry-bytes 16MiB] [--segment K/N] [...]',
  summary: 'replay recorded traffic (parity capture, HAR, GoReplay .gor, nginx/Envoy JSON logs) at both targets, paired',
  options: {
    config: { type: 'string' },
    format: { type: 'string' },
    speed: { type: 'string' },
    loop: { type: 'string' },
    'allow-writes': { type: 'boolean', default: false },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    from: { type: 'string' },
    to: { type: 'string' },
    rewrite: { type: 'string', multiple: true },
    'drop-header': { type: 'string', multiple: true },
    stream: { type: 'string', multiple: true },
    'max-in-flight': { type: 'string' },
    compare: { type: 'string' },
    'max-corrupt': { type: 'string' },
    'max-entry-bytes': { type: 'string' },
    ...SHARED,
  },
  help: {
    config: { description: 'the targets config (baseline, candidate, timeouts, requestIdHeader, outDir); its scenarios are not run', default: 'required', example: '--config scenarios/python-to-node.config.yaml' },
    format: { description: 'capture format: parity, har, gor or access-log', default: 'detected from the first bytes', example: '--format har' },
    speed: { description: 'pace against the recorded offsets: 2x is twice as dense, 0.5x half; max starts each request as soon as --max-in-flight allows', default: '1x (as recorded)', example: '--speed 2x' },
    loop: { description: 'replay the capture this many times, each pass after the last', default: '1', example: '--loop 3' },
    'allow-writes': { description: 'also replay POST, PUT, PATCH and DELETE (left out and counted otherwise)', example: '--allow-writes' },
    include: { description: 'replay only requests matching one of these: METHOD, /path glob, "METHOD /path glob" or a capture route name (repeatable)', default: 'every request', example: "--include '/api/*' --include GET" },
    exclude: { description: 'leave out requests matching any of these patterns (same forms as --include; repeatable)', default: 'none', example: "--exclude '/health*'" },
    from: { description: 'replay requests recorded at or after this time (ISO 8601 or epoch ms)', default: 'the start of the capture', example: '--from 2026-11-29T14:00:00Z' },
    to: { description: 'replay requests recorded before this time', default: 'the end of the capture', example: '--to 2026-11-29T15:00:00Z' },
    rewrite: { description: 'map a captured path prefix onto the targets (FROM=TO, first match wins; repeatable); each target\'s base URL path is prepended too', default: 'paths as recorded', example: '--rewrite /v1/=/api/v1/' },
    'drop-header': { description: 'header never replayed (repeatable), e.g. cookies or session ids of real users', default: 'none (hop-by-hop headers always)', example: '--drop-header cookie' },
    stream: { description: 'path glob replayed as an SSE stream (stream probe) besides requests that accept text/event-stream (repeatable)', default: 'by the accept header only', example: "--stream '/chat-stream*'" },
    'max-in-flight': { description: 'paired requests in flight at once; a recorded start past it is dropped and counted', default: "the config's load.maxInFlight, else 1000", example: '--max-in-flight 200' },
    compare: { description: "share of pairs diffed under the config's contracts.rules, tallied per endpoint in run.json contracts: request pairs by status, headers and JSON body, stream pairs by status and streamed content (/content); a percentage, a fraction, all or none", default: 'none', example: '--compare 5%' },
    'max-corrupt': {
      description: 'share of the capture\'s entries to replay (the bad ones and those the filters keep) that may be corrupt, truncated or not sendable as captured; past it the run is incomplete (exit 2, never a pass): the replay did not send what was captured. Every bad entry is listed either way',
      default: '1%',
      example: '--max-corrupt 0.5%',
    },
    'max-entry-bytes': {
      description: 'largest capture entry (a line; a GoReplay payload; a HAR entry) read: a larger one is skipped unread, without being held in memory, and counted as a bad entry (under --max-corrupt)',
      default: '16MiB',
      example: '--max-entry-bytes 64MiB',
    },
    ...SHARED_HELP,
  },
  examples: [
    'parity replay reports/mirrored.ndjson --config scenarios/python-to-node.config.yaml --policy seed-000-stage-b',
    "parity replay yesterday.har --config my.config.yaml --speed 2x --include '/api/*' --exclude '/api/admin*'",
    'parity replay traffic.gor --config my.config.yaml --speed max --loop 3 --allow-writes',
    'parity replay big.har --config my.config.yaml --segment 2/4 --start-at 2026-12-01T02:00:00Z   # then: parity merge reports/<run-id> --policy p',
  ],
  async execute({ values, positionals }, io) {
    const [capture] = positionals;
    const config = values.config as string | undefined;
    if (!capture || !config) throw new UsageError('parity replay needs a capture and a targets config: parity replay traffic.har --config my.config.yaml');
    const speed = parseSpeed(values.speed as string | undefined);
    const loop = count('--loop', values.loop, 1_000_000) ?? 1;
    const maxInFlight = count('--max-in-flight', values['max-in-flight'], 1_000_000);
    const share = compareShare(values.compare as string | undefined);
    const maxCorrupt = corruptShare(values['max-corrupt'] as string | undefined);
    const maxEntryBytes = entryBytes(values['max-entry-bytes'] as string | undefined);
    const filters = {
      include: list(values.include),
      exclude: list(values.exclude),
      allowWrites: Boolean(values['allow-writes']),
      from: time('--from', values.from),
      to: time('--to', values.to),
      dropHeaders: list(values['drop-header']),
      rewrites: rewrites(values.rewrite),
    };
    const opened = await openCapture(capture, values.format as string | undefined, maxEntryBytes);
    const feed = new ReplayFeed(opened.entries, capture, opened.format, speed, loop, filters);
    feed.report.maxCorrupt = maxCorrupt;
    feed.report.maxEntryBytes = maxEntryBytes;
    // Segments of one replay must have replayed the same bytes (sources/replay/segments.ts): a segment run records the capture's digest.
    const digest = values.segment !== undefined ? await captureDigest(capture) : undefined;
    return executeRun(config, {
      ...runOptionsFrom(values, io.env),
      replay: async (loaded) => {
        // A config with a shadow section: its header drops and rewrites (session ids) apply to the replay as to mirrored copies,
        // so they are set before the capture is checked (what is sendable is the request as it goes out).
        feed.filters.copy = loaded.config.shadow;
        const endpoints = await feed.check(values.policy !== undefined);
        const r = replayLoaded(loaded, maxInFlight, endpoints);
        feed.report.options = replayOptions({ digest, filters, streams: list(values.stream), maxInFlight: r.maxInFlight, compare: share, maxEntryBytes });
        const comparer = share > 0 ? { share, comparer: new ReplayComparer(REPLAY_SCENARIO, loaded.config.contracts?.rules, loaded.config.contracts?.headers ?? ['content-type']) } : undefined;
        return { loaded: r.loaded, source: { feed, isStream: streamPaths(list(values.stream)), maxInFlight: r.maxInFlight, compare: comparer, pacing: speed === 'max' ? undefined : new PacingTally() } };
      },
    }, io);
  },
};
