/**
 * Execution segments: one plan cut into N parts that run on N machines (k6's execution segments,
 * run as Kubernetes Indexed Jobs or CI matrix jobs). Segment K of N takes the arrival slots and
 * closed-model iteration numbers i with i mod N = K−1 and the VUs v with (v−1) mod N = K−1, so the
 * N segments together send exactly what one machine would: the same iteration numbers, prompts,
 * session ids and intended start times. A segment run on W worker threads is thread shard
 * (K−1) + N·w of N·W, the same striping one level down.
 */

/** Segment `index` (0-based) of `count`, and where that came from (a flag or an environment variable). */
export interface Segment {
  index: number;
  count: number;
  source: string;
}

/** The most segments a plan is cut into. */
export const MAX_SEGMENTS = 1000;

/**
 * `--segment auto` reads its index from the first of these that is set. Kubernetes Indexed Jobs
 * count from 0; GitLab's `parallel:` counts from 1 (CI_NODE_INDEX 1..CI_NODE_TOTAL); parity's own
 * pair (for GitHub Actions matrices and anything else) counts from 1, like `--segment K/N`.
 */
export const SEGMENT_ENV = [
  { index: 'PARITY_SEGMENT_INDEX', total: 'PARITY_SEGMENT_COUNT', base: 1 },
  { index: 'JOB_COMPLETION_INDEX', total: undefined, base: 0 },
  { index: 'CI_NODE_INDEX', total: 'CI_NODE_TOTAL', base: 1 },
] as const;

/** A problem with the segment flags or environment; the caller turns it into a usage error (exit 3). */
export class SegmentSpecError extends Error {}

/**
 * `--segment K/N`, or `--segment auto` with N from `--segments N` (or the engine's own total
 * variable). The index K is 1-based in flags and in run.json.
 */
export function resolveSegment(flag: string, segments: string | undefined, env: NodeJS.ProcessEnv): Segment {
  const total = segments === undefined ? undefined : wholeNumber(segments, '--segments');
  if (flag !== 'auto') {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new SegmentSpecError(`--segment takes K/N (segment K of N, from 1), e.g. --segment 2/4, or "auto"; got "${flag}"`);
    const [k, n] = [Number(m[1]), Number(m[2])];
    if (total !== undefined && total !== n) throw new SegmentSpecError(`--segment ${flag} says ${n} segments but --segments says ${total}; give one of them`);
    return checked(k - 1, n, '--segment');
  }
  for (const v of SEGMENT_ENV) {
    const raw = env[v.index];
    if (raw === undefined || raw === '') continue;
    const index = wholeNumber(raw, v.index) - v.base;
    const envTotal = v.total && env[v.total] ? wholeNumber(env[v.total]!, v.total) : undefined;
    if (total !== undefined && envTotal !== undefined && total !== envTotal) {
      throw new SegmentSpecError(`--segments ${total} but ${v.total}=${envTotal}: the job and the run disagree on the number of segments`);
    }
    const n = total ?? envTotal;
    if (n === undefined) throw new SegmentSpecError(`--segment auto read ${v.index}=${raw} but no segment count: pass --segments N`);
    return checked(index, n, v.index);
  }
  throw new SegmentSpecError(
    `--segment auto found no segment index in the environment: set one of ${SEGMENT_ENV.map((v) => v.index).join(', ')} ` +
      '(Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX, GitLab parallel jobs CI_NODE_INDEX), or pass --segment K/N',
  );
}

function checked(index: number, count: number, source: string): Segment {
  if (count < 1 || count > MAX_SEGMENTS) throw new SegmentSpecError(`${source}: the number of segments must be 1 to ${MAX_SEGMENTS}, got ${count}`);
  if (index < 0 || index >= count) throw new SegmentSpecError(`${source}: segment ${index + 1} of ${count} does not exist (segments are 1 to ${count})`);
  return { index, count, source };
}

function wholeNumber(v: string, name: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new SegmentSpecError(`${name} must be a whole number, got "${v}"`);
  return n;
}

/** `K/N` as written in flags, run.json and folder names (`K-of-N`). */
export function segmentLabel(s: { index: number; count: number }): string {
  return `${s.index + 1}/${s.count}`;
}

/** The thread shard of worker `w` of `workers` inside segment `s`: shard (s) + N·w of N·W. */
export function threadShard(s: { index: number; count: number } | undefined, w: number, workers: number): { index: number; count: number } {
  const seg = s ?? { index: 0, count: 1 };
  return { index: seg.index + seg.count * w, count: seg.count * workers };
}

/** Closed-model iteration numbers of a segment: its j-th claimed iteration is K−1 + N·j. */
export function segmentIteration(s: { index: number; count: number } | undefined, local: number): number {
  return s ? s.index + s.count * local : local;
}

/** How many of `total` iterations numbered 0..total−1 fall in segment s (i mod N = K−1). */
export function segmentShare(total: number, s: { index: number; count: number } | undefined): number {
  if (!s) return total;
  return Math.floor(total / s.count) + (s.index < total % s.count ? 1 : 0);
}

/** `--start-at`: an ISO 8601 time with a date, a time and a zone (Z or ±hh:mm), as epoch ms. */
export function parseStartAt(v: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v.trim());
  const ms = Date.parse(v);
  if (!ok || Number.isNaN(ms)) throw new SegmentSpecError(`--start-at takes an ISO 8601 time with its zone, e.g. 2026-11-30T02:00:00Z; got "${v}"`);
  return ms;
}

/**
 * A plan that cannot be cut into `s.count` segments as written, or undefined. A closed model with a
 * fixed iteration count or duration runs VU v in segment (v−1) mod N: with fewer VUs than segments
 * some segment would have none, and its stripe of iterations would never be sent.
 */
export function segmentPlanProblem(load: { model: string; vus?: number | undefined; stages?: unknown } | undefined, s: { count: number }): string | undefined {
  if (!load) return undefined;
  if (load.model === 'closed' && !load.stages && (load.vus ?? 1) < s.count) {
    return `load.vus is ${load.vus ?? 1} but the plan is cut into ${s.count} segments: every segment needs at least one VU. Raise load.vus to ${s.count} or more, or use fewer segments`;
  }
  return undefined;
}

/** How far ahead a start signal may be. */
const MAX_LEAD_MS = 24 * 3_600_000;

/**
 * A start signal already past the end of the plan, or more than a day ahead, or undefined. A late segment keeps the plan's
 * times (its overdue starts fire at once, their lag measured): past the whole planned duration,
 * every start is overdue, so an arrival rate would send its whole schedule in one burst and a
 * closed load with a duration or stages would send nothing. (A closed load with `iterations` has
 * no planned end: it runs them whenever it starts.)
 */
export function startSignalProblem(startAtMs: number | undefined, nowMs: number, plannedDurationMs: number | null): string | undefined {
  if (startAtMs === undefined) return undefined;
  const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  // A segment waits for its signal silently, connections open: a day ahead is a wrong date, not a plan.
  if (startAtMs - nowMs > MAX_LEAD_MS) {
    return `--start-at ${new Date(startAtMs).toISOString()} is ${Math.round((startAtMs - nowMs) / 3_600_000)} h ahead: this segment would wait that long before its first start (more than a day: check the date). Give a start signal minutes ahead, once every machine is up`;
  }
  if (plannedDurationMs === null) return undefined;
  const lateMs = nowMs - startAtMs;
  if (lateMs < plannedDurationMs) return undefined;
  return `--start-at ${new Date(startAtMs).toISOString()} was ${s(lateMs)} ago, past the end of the plan's ${s(plannedDurationMs)}: every start of this segment is overdue, so an arrival rate would send its whole schedule at once and a closed load nothing. Give every segment a start signal ahead of now (e.g. a minute ahead, once all machines are up)`;
}

/** The run id every segment of a plan derives alike from its start signal and config (request ids carry it). */
export function segmentRunId(startAtMs: number, configDigest: string): string {
  return `${new Date(startAtMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${configDigest.slice(0, 8)}`;
}

/**
 * A plan whose bounds cannot be shared by the threads that run it (worker threads × segments), or
 * undefined. Each thread bounds its own share (load/context.ts shareOf): below one per thread, a
 * thread's `maxInFlight` is 0 and it counts every start it is given as dropped, none sent; a
 * target's `connections` share is raised to 1, so the threads together open more connections than
 * the config allows and queue less behind them (latencies better than the pool they model).
 * `load` is left out for a replay (its own bound applies, and it runs one thread per segment).
 */
export function threadPlanProblem(
  load: { model: string; maxInFlight?: number | undefined } | undefined,
  targets: readonly { connections?: number | undefined }[],
  p: { segments: number; workers: number },
): string | undefined {
  const threads = p.segments * p.workers;
  const how = p.segments > 1 && p.workers > 1 ? ` (${p.segments} segments × ${p.workers} workers)` : p.segments > 1 ? ' (segments)' : ' (--workers)';
  const fix = `or use fewer workers or segments`;
  if (load && load.maxInFlight !== undefined && load.maxInFlight < threads) {
    return `load.maxInFlight is ${load.maxInFlight} but the load is split over ${threads} threads${how}, each bounding its own share: a thread with none would drop every start it is given. Raise load.maxInFlight to ${threads} or more, ${fix}`;
  }
  const i = targets.findIndex((t) => t.connections !== undefined && t.connections < threads);
  if (i >= 0) {
    return `targets[${i}].connections is ${targets[i]!.connections} but the load is split over ${threads} threads${how}, each with its own pool of at least one connection: together they would open more than the target allows. Raise targets[${i}].connections to ${threads} or more, ${fix}`;
  }
  return undefined;
}
