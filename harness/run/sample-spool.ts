import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { OUTCOMES, type Outcome, type PairedSample, type StreamSample } from '../metrics/sample.ts';

/**
 * The run's measured pairs on disk, in a compact binary form while the load runs, as NDJSON once
 * it ends. Turning a pair into JSON text (the shortest decimal form of twenty-odd fractional
 * numbers, key by key) and writing it was a third of the harness's own CPU per request; writing
 * the same numbers as 8-byte floats costs about a sixth of that (profiled in the throughput
 * benchmark). So, as Gatling does with its simulation log, the run spools binary records to
 * `<file>.spool` and writes `<file>` (NDJSON, one pair per line) when it ends, crashed and
 * interrupted runs included. The spool reaches the disk every second or every megabyte; a process
 * killed outright leaves it behind, and `ensureSamples` turns it into NDJSON on first read.
 *
 * Record: u32 length (bytes, this field included), f64 iteration, str requestId, str scenario,
 * then the baseline and candidate samples. Sample: u16 flags (which OPTIONAL fields follow, error,
 * expectsCitations, and which strings are left out as repeats), u8 role, u8 outcome, str target
 * (left out when it is the target of the spool's previous sample in this role), str scenario and
 * str requestId (each left out when it is the pair's), ten f64s
 * (iteration, vu, promptIndex, startedAt, endMs, events, contentChunks, contentChars, bytes,
 * citations), the OPTIONAL f64s present in that order, the error's code and message, u32 gap
 * count and the gaps as f64s. str = u32 byte length + UTF-8. Little-endian throughout.
 */
export const SPOOL_SUFFIX = '.spool';

const CHUNK = 1 << 20;
/** Spooled records go to disk at least this often (what a process killed outright can lose). */
const FLUSH_MS = 1000;
const OPTIONAL = ['intendedAt', 'dispatchLagMs', 'status', 'headersMs', 'firstEventMs', 'firstContentMs', 'completionMs'] as const;
const HAS_ERROR = 1 << OPTIONAL.length;
const EXPECTS_CITATIONS = HAS_ERROR << 1;
/** The sample's requestId, scenario and target are not written: see the record layout above. */
const SAME_REQUEST_ID = EXPECTS_CITATIONS << 1;
const SAME_SCENARIO = SAME_REQUEST_ID << 1;
const SAME_TARGET = SAME_SCENARIO << 1;
/** Request and flow samples (bits after SAME_TARGET): a flow step name and a route template follow the error. */
const HAS_STEP = SAME_TARGET << 1;
const HAS_ROUTE = HAS_STEP << 1;
const OUTCOME_INDEX = new Map<Outcome, number>(OUTCOMES.map((o, i) => [o, i]));

export class SampleSpool {
  private out: WriteStream | undefined;
  private buf = Buffer.allocUnsafe(CHUNK);
  /** The chunk's floats go in through a DataView: a tenth of the cost of Buffer#writeDoubleLE. */
  private view = viewOf(this.buf);
  private at = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The target of the last sample written, by role (0 baseline, 1 candidate). */
  private readonly targets: string[] = ['', ''];

  /** `file` is the NDJSON file the pairs end up in; the spool is `file` + ".spool". */
  constructor(private readonly file: string) {}

  write(pair: PairedSample): void {
    const need = 24 + 3 * (pair.requestId.length + pair.scenario.length) + bound(pair.baseline) + bound(pair.candidate);
    if (this.at + need > this.buf.length) {
      this.flush(false);
      if (need > this.buf.length) this.view = viewOf((this.buf = Buffer.allocUnsafe(need)));
    }
    if (!this.timer) this.timer = setTimeout(this.tick, FLUSH_MS).unref();
    const b = this.buf;
    const v = this.view;
    const start = this.at;
    let at = f64(v, start + 4, pair.iteration);
    at = str(b, at, pair.requestId);
    at = str(b, at, pair.scenario);
    at = sample(b, v, at, pair.baseline, pair, this.targets);
    at = sample(b, v, at, pair.candidate, pair, this.targets);
    v.setUint32(start, at - start, true);
    this.at = at;
  }

  /** Writes what is spooled, then the NDJSON file (also when no pair came), and removes the spool. */
  async end(): Promise<void> {
    await this.close();
    await convertSpool(this.file);
  }

  /** Writes what is spooled and closes the spool, leaving it as a killed run would. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.flush(false);
    const out = (this.out ??= createWriteStream(this.file + SPOOL_SUFFIX));
    await new Promise<void>((resolve, reject) => (out.once('error', reject), out.end(resolve)));
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.flush(true);
  };

  /** A full chunk is handed to the stream as it is; a timed flush writes a copy and keeps the chunk. */
  private flush(copy: boolean): void {
    if (this.at === 0) return;
    const out = (this.out ??= createWriteStream(this.file + SPOOL_SUFFIX));
    if (copy) out.write(Buffer.from(this.buf.subarray(0, this.at)));
    else {
      // The stream holds on to the bytes until they are on disk: carry on in a fresh chunk.
      out.write(this.buf.subarray(0, this.at));
      this.buf = Buffer.allocUnsafe(CHUNK);
      this.view = viewOf(this.buf);
    }
    this.at = 0;
  }
}

/**
 * Turns `<file>.spool` into `<file>` (NDJSON) and removes the spool; returns the pairs written. A
 * record cut short at the end (the process died while writing it) is left out.
 */
export async function convertSpool(file: string): Promise<number> {
  const out = createWriteStream(file);
  let pending = '';
  let count = 0;
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
      if (!out.write(pending)) await once(out, 'drain');
      pending = '';
    }
  }
  await new Promise<void>((resolve, reject) => (out.once('error', reject), out.end(pending, resolve)));
  await rm(file + SPOOL_SUFFIX, { force: true });
  return count;
}

/** A samples file ready to read: converts the spool a killed run left behind, if that is all there is. */
export async function ensureSamples(file: string): Promise<void> {
  if (!existsSync(file) && existsSync(file + SPOOL_SUFFIX)) await convertSpool(file);
}

/** The most bytes `sample` can write for `s` (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function bound(s: StreamSample): number {
  const strings = s.target.length + s.scenario.length + s.requestId.length + (s.error ? s.error.code.length + s.error.message.length : 0) + (s.step?.length ?? 0) + (s.route?.length ?? 0);
  return 4 + 4 * 8 + 3 * strings + 8 * (10 + OPTIONAL.length) + 4 + 8 * s.gapsMs.length;
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
    (s.step !== undefined ? HAS_STEP : 0) |
    (s.route !== undefined ? HAS_ROUTE : 0);
  at = b.writeUInt16LE(flags, at);
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
  const flags = r.b.readUInt16LE(r.at);
  const roleIndex = r.b[r.at + 2]!;
  const outcome = OUTCOMES[r.b[r.at + 3]!]!;
  r.at += 4;
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
  const n = r.b.readUInt32LE(r.at);
  r.at += 4;
  for (let i = 0; i < n; i++) s.gapsMs.push(readF64(r));
  return s;
}
