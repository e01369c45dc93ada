import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { streamFileAtomic } from '../output/atomic.ts';
import { outputError, outputFs } from '../output/fs.ts';
import { OUTCOMES, type Outcome, type PairedSample, type StreamSample } from '../metrics/sample.ts';

/**
 * The run's measured pairs on disk, in a compact binary form while the load runs, as NDJSON once
 * it ends. Turning a pair into JSON text (the shortest decimal form of twenty-odd fractional
 * numbers, key by key) and writing it was a third of the harness's own CPU per request; writing
 * the same numbers as 8-byte floats costs about a sixth of that (profiled in the throughput
 * benchmark). So, as Gatling does with its simulation log, the run spools binary records to
 * `<file>.spool` and writes `<file>` (NDJSON, one pair per line) when it ends, crashed and
 * interrupted runs included. Each pair reaches the spool (the kernel) as it is measured, or, as the
 * run writes it (`batch`), with the other pairs of its event-loop turn at the end of that turn; a
 * process killed outright leaves the spool behind, and `ensureSamples` (samples-file.ts) turns it
 * into NDJSON on first read.
 *
 * Record: u32 length (bytes, this field included), f64 iteration, str requestId, str scenario,
 * then the baseline and candidate samples. Sample: u32 flags (which OPTIONAL fields follow, error,
 * expectsCitations, and which strings are left out as repeats), u8 role, u8 outcome, str target
 * (left out when it is the target of the spool's previous sample in this role), str scenario and
 * str requestId (each left out when it is the pair's), ten f64s
 * (iteration, vu, promptIndex, startedAt, endMs, events, contentChunks, contentChars, bytes,
 * citations), the OPTIONAL f64s present in that order, the error's code and message, u32 gap
 * count and the gaps as f64s, then the LLM fields present (f64 outputTokens, str finishReason,
 * f64 itlMs, f64 tpotMs). str = u32 byte length + UTF-8. Little-endian throughout.
 */
export const SPOOL_SUFFIX = '.spool';

const CHUNK = 1 << 20;
const OPTIONAL = ['intendedAt', 'dispatchLagMs', 'status', 'headersMs', 'firstEventMs', 'firstContentMs', 'completionMs'] as const;
const HAS_ERROR = 1 << OPTIONAL.length;
const EXPECTS_CITATIONS = HAS_ERROR << 1;
/** The sample's requestId, scenario and target are not written: see the record layout above. */
const SAME_REQUEST_ID = EXPECTS_CITATIONS << 1;
const SAME_SCENARIO = SAME_REQUEST_ID << 1;
const SAME_TARGET = SAME_SCENARIO << 1;
const HAS_TOKENS = SAME_TARGET << 1;
const TOKENS_ESTIMATED = HAS_TOKENS << 1;
const HAS_FINISH = TOKENS_ESTIMATED << 1;
const HAS_ITL = HAS_FINISH << 1;
const HAS_TPOT = HAS_ITL << 1;
/** Request and flow samples: a flow step name and a route template follow the error. */
const HAS_STEP = HAS_TPOT << 1;
const HAS_ROUTE = HAS_STEP << 1;
/** A request probe's 2xx SSE answer, read whole (StreamSample.streamReadWhole). */
const READ_WHOLE = HAS_ROUTE << 1;
const OUTCOME_INDEX = new Map<Outcome, number>(OUTCOMES.map((o, i) => [o, i]));

/**
 * Batching (`batch`): the pairs measured in one event-loop turn go to the kernel in one write, at
 * the end of the turn (setImmediate), instead of one write each (a write per pair was 4% of the
 * request path's CPU). A pair then reaches the disk within the turn it was measured in: whatever
 * kills the process loses at most that turn's pairs, and not even those when it exits through
 * `process.exit`, an uncaught exception or a signal Node turns into an exit (every open spool is
 * flushed on the process's (or worker's) 'exit'). The run's sinks count a pair only once it is on
 * disk (`onWritten`), so a write that fails never leaves counted pairs without samples: the
 * failure goes to `onError`, the pairs of the failed write are counted nowhere, and the next
 * `write` and `close` throw it.
 */
export interface SpoolOptions {
  batch?: boolean;
  /** Pairs now on disk (batched spools): what the run counts and summarizes. */
  onWritten?: (pairs: readonly PairedSample[]) => void;
  /** A batched write that failed at the end of a turn (the same error the next `write` throws). */
  onError?: (err: unknown) => void;
}

/** Batched spools with records not yet written: flushed on exit. */
const open = new Set<SampleSpool>();
let exitHooked = false;
const flushAllOnExit = () => {
  for (const s of open) s.flushQuietly();
};

export class SampleSpool {
  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(CHUNK);
  /** Floats go in through a DataView: a tenth of the cost of Buffer#writeDoubleLE. */
  private view = viewOf(this.buf);
  /** The target of the last sample written, by role (0 baseline, 1 candidate). */
  private readonly targets: string[] = ['', ''];
  /** Bytes of whole records in `buf` not yet written (batched spools). */
  private used = 0;
  /** The pairs of those records, for `onWritten`. */
  private pending: PairedSample[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private failed: unknown;
  /** A batched write failed with nobody told yet (no `onError`, no write since): close throws it. */
  private unreported = false;
  private readonly batch: boolean;
  /** Closed (the run's shard ended): a later write would start a second spool beside the finished samples file, which the first read turns into the samples file in its place. */
  private closed = false;

  /** `file` is the NDJSON file the pairs end up in; the spool is `file` + ".spool". */
  constructor(
    private readonly file: string,
    private readonly opts: SpoolOptions = {},
  ) {
    this.batch = opts.batch === true;
  }

  /**
   * Appends the pair's record to the spool: at once (one write to the kernel, no buffering in the
   * process), or with `batch` at the end of this event-loop turn (see SpoolOptions). A failing
   * write (disk full, read-only) throws here, to the caller that measured the pair; with `batch`,
   * also a failure of an earlier turn's write.
   */
  write(pair: PairedSample): void {
    if (this.closed) throw new Error(`a pair (request ${pair.requestId}) was measured after ${path.basename(this.file)} was closed; it is not kept`);
    if (this.failed !== undefined) {
      this.unreported = false;
      throw this.failed;
    }
    const need = 24 + 3 * (pair.requestId.length + pair.scenario.length) + bound(pair.baseline) + bound(pair.candidate);
    if (this.used + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.view = viewOf((this.buf = Buffer.allocUnsafe(need)));
    }
    const start = this.used;
    const b = this.buf;
    const v = this.view;
    let at = f64(v, start + 4, pair.iteration);
    at = str(b, at, pair.requestId);
    at = str(b, at, pair.scenario);
    at = sample(b, v, at, pair.baseline, pair, this.targets);
    at = sample(b, v, at, pair.candidate, pair, this.targets);
    v.setUint32(start, at - start, true);
    this.used = at;
    if (!this.batch) {
      this.flush();
      return;
    }
    if (this.opts.onWritten) this.pending.push(pair);
    if (this.scheduled === undefined) {
      this.scheduled = setImmediate(this.flushLater);
      open.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.on('exit', flushAllOnExit);
      }
    }
  }

  private readonly flushLater = (): void => {
    this.scheduled = undefined;
    try {
      this.flush();
    } catch (err) {
      if (this.opts.onError) this.opts.onError(err);
      else this.unreported = true;
    }
  };

  /** Writes the records not yet written (one write); a failure is kept and thrown again by the next write and close. */
  private flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    open.delete(this);
    if (this.used === 0) return;
    const n = this.used;
    const pairs = this.pending;
    this.used = 0;
    this.pending = [];
    let done = 0;
    try {
      this.fd ??= outputFs.openSync(this.file + SPOOL_SUFFIX, 'a');
      // A write may take fewer bytes than it was given (a disk filling up): the rest goes in the next.
      while (done < n) done += outputFs.writeSync(this.fd, this.buf, done, n - done);
    } catch (err) {
      this.failed = outputError(err, this.file + SPOOL_SUFFIX, 'the samples spool');
      // The whole records that did reach the disk are counted (a conversion keeps them); the one cut short is not.
      const kept = wholeRecords(this.buf, done);
      if (kept > 0 && pairs.length) this.opts.onWritten?.(pairs.slice(0, kept));
      throw this.failed;
    }
    if (pairs.length) this.opts.onWritten?.(pairs);
  }

  /** On exit: what can still be written is, errors and all (nothing is left to report them to). */
  flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // The process is exiting; the spool holds every record written before.
    }
  }

  /** Closes the spool, then writes the NDJSON file (also when no pair came) and removes the spool. */
  async end(): Promise<void> {
    await this.close();
    await convertSpool(this.file);
  }

  /** Writes what is left, closes the spool (creating it when no pair came), leaving it as a killed run would. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.failed === undefined) this.flush();
    try {
      const fd = this.fd ?? outputFs.openSync(this.file + SPOOL_SUFFIX, 'a');
      this.fd = undefined;
      outputFs.closeSync(fd);
    } catch (err) {
      throw outputError(err, this.file + SPOOL_SUFFIX, 'the samples spool');
    }
    if (this.unreported) throw this.failed;
  }
}

/** How many whole records the first `bytes` of a spool buffer hold. */
function wholeRecords(b: Buffer, bytes: number): number {
  let n = 0;
  for (let at = 0; at + 4 <= bytes && at + b.readUInt32LE(at) <= bytes; at += b.readUInt32LE(at)) n++;
  return n;
}

/**
 * Turns `<file>.spool` into `<file>` (NDJSON, written to a temp file and renamed, so a samples file
 * is always complete) and then removes the spool; returns the pairs written. A record cut short at
 * the end (the process died while writing it) is left out. Until the rename, the spool is the
 * only source of the samples: a run killed during this conversion converts again on first read.
 */
export async function convertSpool(file: string): Promise<number> {
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    let pending = '';
    let carry: Buffer | undefined;
    const targets = ['', ''];
    for await (const chunk of createReadStream(file + SPOOL_SUFFIX, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
      const b = carry ? Buffer.concat([carry, chunk]) : chunk;
      const v = viewOf(b);
      let at = 0;
      while (at + 4 <= b.length) {
        const len = b.readUInt32LE(at);
        if (at + len > b.length) break;
        pending += JSON.stringify(readPair({ b, v, at: at + 4 }, targets)) + '\n';
        count++;
        at += len;
      }
      carry = at < b.length ? b.subarray(at) : undefined;
      if (pending.length >= CHUNK) {
        yield pending;
        pending = '';
      }
    }
    yield pending;
  }
  await streamFileAtomic(file, lines(), 'the samples file');
  await rm(file + SPOOL_SUFFIX, { force: true });
  return count;
}

/** The most bytes `sample` can write for `s` (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function bound(s: StreamSample): number {
  const strings = s.target.length + s.scenario.length + s.requestId.length + (s.error ? s.error.code.length + s.error.message.length : 0) + (s.finishReason?.length ?? 0) + (s.step?.length ?? 0) + (s.route?.length ?? 0);
  return 6 + 4 * 9 + 3 * strings + 8 * (13 + OPTIONAL.length) + 4 + 8 * s.gapsMs.length;
}

const viewOf = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.length);

function f64(v: DataView, at: number, x: number): number {
  v.setFloat64(at, x, true);
  return at + 8;
}

function str(b: Buffer, at: number, s: string): number {
  // Short ASCII (ids, names) byte by byte: cheaper than a call into the UTF-8 encoder.
  let n = s.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[at + 4 + i] = c;
    }
    if (i < n) n = b.write(s, at + 4);
  } else n = b.write(s, at + 4);
  b.writeUInt32LE(n, at);
  return at + 4 + n;
}

function sample(b: Buffer, v: DataView, at: number, s: StreamSample, pair: PairedSample, targets: string[]): number {
  const roleIndex = s.role === 'baseline' ? 0 : 1;
  const sameTarget = s.target === targets[roleIndex];
  targets[roleIndex] = s.target;
  // Field by field, in the order of OPTIONAL and REQUIRED (a loop over key names costs a keyed lookup per field).
  const flags =
    (s.intendedAt !== undefined ? 1 : 0) |
    (s.dispatchLagMs !== undefined ? 2 : 0) |
    (s.status !== undefined ? 4 : 0) |
    (s.headersMs !== undefined ? 8 : 0) |
    (s.firstEventMs !== undefined ? 16 : 0) |
    (s.firstContentMs !== undefined ? 32 : 0) |
    (s.completionMs !== undefined ? 64 : 0) |
    (s.error ? HAS_ERROR : 0) |
    (s.expectsCitations ? EXPECTS_CITATIONS : 0) |
    (s.requestId === pair.requestId ? SAME_REQUEST_ID : 0) |
    (s.scenario === pair.scenario ? SAME_SCENARIO : 0) |
    (sameTarget ? SAME_TARGET : 0) |
    (s.outputTokens !== undefined ? HAS_TOKENS : 0) |
    (s.tokensEstimated ? TOKENS_ESTIMATED : 0) |
    (s.finishReason !== undefined ? HAS_FINISH : 0) |
    (s.itlMs !== undefined ? HAS_ITL : 0) |
    (s.tpotMs !== undefined ? HAS_TPOT : 0) |
    (s.step !== undefined ? HAS_STEP : 0) |
    (s.route !== undefined ? HAS_ROUTE : 0) |
    (s.streamReadWhole ? READ_WHOLE : 0);
  at = b.writeUInt32LE(flags, at);
  at = b.writeUInt8(roleIndex, at);
  at = b.writeUInt8(OUTCOME_INDEX.get(s.outcome)!, at);
  if (!sameTarget) at = str(b, at, s.target);
  if (!(flags & SAME_SCENARIO)) at = str(b, at, s.scenario);
  if (!(flags & SAME_REQUEST_ID)) at = str(b, at, s.requestId);
  at = f64(v, at, s.iteration);
  at = f64(v, at, s.vu);
  at = f64(v, at, s.promptIndex);
  at = f64(v, at, s.startedAt);
  at = f64(v, at, s.endMs);
  at = f64(v, at, s.events);
  at = f64(v, at, s.contentChunks);
  at = f64(v, at, s.contentChars);
  at = f64(v, at, s.bytes);
  at = f64(v, at, s.citations);
  if (s.intendedAt !== undefined) at = f64(v, at, s.intendedAt);
  if (s.dispatchLagMs !== undefined) at = f64(v, at, s.dispatchLagMs);
  if (s.status !== undefined) at = f64(v, at, s.status);
  if (s.headersMs !== undefined) at = f64(v, at, s.headersMs);
  if (s.firstEventMs !== undefined) at = f64(v, at, s.firstEventMs);
  if (s.firstContentMs !== undefined) at = f64(v, at, s.firstContentMs);
  if (s.completionMs !== undefined) at = f64(v, at, s.completionMs);
  if (s.error) {
    at = str(b, at, s.error.code);
    at = str(b, at, s.error.message);
  }
  if (s.step !== undefined) at = str(b, at, s.step);
  if (s.route !== undefined) at = str(b, at, s.route);
  const gaps = s.gapsMs;
  at = b.writeUInt32LE(gaps.length, at);
  for (let i = 0; i < gaps.length; i++) at = f64(v, at, gaps[i]!);
  if (s.outputTokens !== undefined) at = f64(v, at, s.outputTokens);
  if (s.finishReason !== undefined) at = str(b, at, s.finishReason);
  if (s.itlMs !== undefined) at = f64(v, at, s.itlMs);
  if (s.tpotMs !== undefined) at = f64(v, at, s.tpotMs);
  return at;
}

interface Reader {
  b: Buffer;
  v: DataView;
  at: number;
}

function readStr(r: Reader): string {
  const n = r.b.readUInt32LE(r.at);
  const s = r.b.toString('utf8', r.at + 4, r.at + 4 + n);
  r.at += 4 + n;
  return s;
}

function readF64(r: Reader): number {
  const x = r.v.getFloat64(r.at, true);
  r.at += 8;
  return x;
}

/** `targets`: the last target read by role, carried from record to record through the spool. */
function readPair(r: Reader, targets: string[]): PairedSample {
  const iteration = readF64(r);
  const requestId = readStr(r);
  const scenario = readStr(r);
  const baseline = readSample(r, requestId, scenario, targets);
  const candidate = readSample(r, requestId, scenario, targets);
  const pair: PairedSample = { requestId, scenario, iteration, baseline, candidate };
  if (baseline.step !== undefined) pair.step = baseline.step;
  if (baseline.route !== undefined) pair.route = baseline.route;
  if (pair.step === undefined && pair.route === undefined) return pair;
  // Key order as a request pair is written: identity, step and route, then the samples.
  return { requestId, scenario, iteration, ...(pair.step !== undefined ? { step: pair.step } : {}), ...(pair.route !== undefined ? { route: pair.route } : {}), baseline, candidate };
}

function readSample(r: Reader, requestId: string, scenario: string, targets: string[]): StreamSample {
  const flags = r.b.readUInt32LE(r.at);
  const roleIndex = r.b[r.at + 4]!;
  const outcome = OUTCOMES[r.b[r.at + 5]!]!;
  r.at += 6;
  if (!(flags & SAME_TARGET)) targets[roleIndex] = readStr(r);
  // The key order of the samples the probe makes, so the NDJSON reads as it always has.
  const s: StreamSample = {
    target: targets[roleIndex]!,
    role: roleIndex === 0 ? 'baseline' : 'candidate',
    scenario: flags & SAME_SCENARIO ? scenario : readStr(r),
    requestId: flags & SAME_REQUEST_ID ? requestId : readStr(r),
    iteration: readF64(r),
    vu: readF64(r),
    promptIndex: readF64(r),
    expectsCitations: (flags & EXPECTS_CITATIONS) !== 0,
    startedAt: readF64(r),
    outcome,
    endMs: readF64(r),
    gapsMs: [],
    events: readF64(r),
    contentChunks: readF64(r),
    contentChars: readF64(r),
    bytes: readF64(r),
    citations: readF64(r),
  };
  for (let i = 0; i < OPTIONAL.length; i++) if (flags & (1 << i)) s[OPTIONAL[i]!] = readF64(r);
  if (flags & HAS_ERROR) s.error = { code: readStr(r), message: readStr(r) };
  if (flags & HAS_STEP) s.step = readStr(r);
  if (flags & HAS_ROUTE) s.route = readStr(r);
  if (flags & READ_WHOLE) s.streamReadWhole = true;
  const n = r.b.readUInt32LE(r.at);
  r.at += 4;
  for (let i = 0; i < n; i++) s.gapsMs.push(readF64(r));
  if (flags & HAS_TOKENS) s.outputTokens = readF64(r);
  if (flags & TOKENS_ESTIMATED) s.tokensEstimated = true;
  if (flags & HAS_FINISH) s.finishReason = readStr(r);
  if (flags & HAS_ITL) s.itlMs = readF64(r);
  if (flags & HAS_TPOT) s.tpotMs = readF64(r);
  return s;
}
