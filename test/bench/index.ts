/**
 * `npm run bench`: parity's load path against bare clients and standalone tools, every ratio
 * measured in the same run, repeats alternating the order, medians reported. Starts its own
 * servers on 127.0.0.1; writes reports/bench/<date>.json and prints a table. Not part of `npm test`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createParser } from 'eventsource-parser';
import { quantile } from 'simple-statistics';
import type { Dispatcher } from 'undici';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { SummaryAccumulator } from '../../harness/metrics/summary.ts';
import type { StreamSample } from '../../harness/metrics/sample.ts';
import { probeStream } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { newRunId } from '../../harness/run/engine.ts';
import { sameRequest } from './same-request.ts';
import { benchShadow, benchShadowSoak } from './shadow.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/**
 * The clock section's repeats (BENCH_CLOCK_REPEATS): its figure is a median of per-run p99s, and
 * one run's p99 here moves by ±30% with the stalls it meets; with 9 repeats rather than 5, a few
 * unlucky runs decide the median less often.
 */
const CLOCK_REPEATS = Number(process.env.BENCH_CLOCK_REPEATS ?? Math.max(REPEATS, 9));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 50;
const STREAM_SIZES = (process.env.BENCH_STREAMS ?? '100,1000,5000').split(',').map(Number);
/** Sections to run (all by default): throughput, requests, streams, parser, clock, summaries, shadow, memory. */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (section: string) => !ONLY || ONLY.includes(section);
const median = (xs: number[]) => {
  const ok = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return ok.length ? ok[ok.length >> 1]! : NaN;
};
const log = (s: string) => process.stderr.write(`${s}\n`);

/** `taskset -c <cpu>` when taskset is installed and the machine has a core to spare for each side. */
let TASKSET: boolean | undefined;
async function pinned(cpu: number | undefined, argv: string[]): Promise<string[]> {
  TASKSET ??= os.cpus().length >= 2 && (await run('which', ['taskset']).then(() => true, () => false));
  return cpu !== undefined && TASKSET ? ['taskset', '-c', String(cpu), ...argv] : argv;
}

async function startChild(script: string, args: string[], cpu?: number): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, ...rest] = await pinned(cpu, [process.execPath, '--import', 'tsx', path.join(ROOT, script), ...args]);
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`${script} exited with ${c}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
  });
  return { url, child };
}

// ------------------------------------------------------------------------------------------------
// 1. Throughput: requests/s with 50 connections against the same server.

/** One client's requests/s, measured in a fresh process (test/bench/throughput-client.ts). */
async function clientRate(mode: string, url: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/throughput-client.ts'), mode, url, String(SECONDS), String(CONNECTIONS)], { maxBuffer: 1 << 20 });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { rate: number }).rate;
}

async function wrkRate(url: string, luaFile: string): Promise<number | null> {
  try {
    const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-s', luaFile, `${url}/chat-stream`]);
    return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------
// 3. Parser path: SSE bytes/s through the stream probe vs eventsource-parser alone, same payload in memory.

function payload(): Buffer[] {
  const events: string[] = [];
  for (let i = 0; i < 20_000; i++) events.push(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `token ${i} ` } }] })}\n\n`);
  events.push('data: [DONE]\n\n');
  const all = Buffer.from(events.join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 1500) chunks.push(all.subarray(i, i + 1500));
  return chunks;
}

// Both sides get the same Buffers handed over synchronously, with nothing between them and the
// parser: eventsource-parser fed in a plain loop (TextDecoder, JSON.parse of every event), and the
// probe fed by a dispatcher that calls its handler with each chunk (as undici does from the socket).

function parserBare(chunks: Buffer[]): number {
  const bytes = chunks.reduce((a, c) => a + c.length, 0);
  const t0 = performance.now();
  let events = 0;
  const parser = createParser({ onEvent: (ev) => ev.data !== '[DONE]' && (JSON.parse(ev.data), events++) });
  const decoder = new TextDecoder();
  for (const c of chunks) parser.feed(decoder.decode(c, { stream: true }));
  parser.feed(decoder.decode());
  if (events !== 20_000) throw new Error(`bare parser saw ${events} events`);
  return bytes / ((performance.now() - t0) / 1000);
}

/** A dispatcher that answers 200 with the chunks, calling the handler as undici's core does (the probe's handler API). */
function memoryDispatcher(chunks: Buffer[]): Dispatcher {
  const rawHeaders = [Buffer.from('content-type'), Buffer.from('text/event-stream')];
  return {
    dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      handler.onConnect?.(() => undefined);
      handler.onHeaders?.(200, rawHeaders, () => undefined, 'OK');
      for (const chunk of chunks) handler.onData?.(chunk);
      handler.onComplete?.(null);
      return true;
    },
  } as unknown as Dispatcher;
}

async function parserProbe(chunks: Buffer[]): Promise<number> {
  const bytes = chunks.reduce((a, c) => a + c.length, 0);
  const memory = memoryDispatcher(chunks);
  const classify = compileProfile(StreamProfile.parse(STREAM_PRESETS.openai));
  const req = { target: 't', role: 'baseline' as const, scenario: 's', requestId: 'r', iteration: 0, vu: 0, promptIndex: 0, expectsCitations: false, method: 'POST', path: '/', headers: {}, body: undefined };
  const t0 = performance.now();
  const s = await probeStream(memory, classify, req, Timeouts.parse({}));
  if (s.outcome !== 'complete' || s.contentChunks !== 20_000) throw new Error(`probe: ${s.outcome}, ${s.contentChunks} chunks`);
  return bytes / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------------------------------------
// 5. Clock truth: first content and completion against a stamping server's own times, parity vs a
// reference client written here (test/bench/clock-client.ts), at 20 and 200 concurrent streams.

type ClockMode = 'parity' | 'referencePaired' | 'reference';
type ClockRun = { mode: ClockMode; streams: number; cpuShare: number; firstP50: number; firstP99: number; doneP50: number; doneP99: number; first: number[]; done: number[] };
/**
 * Per level: the stamping server's stream (events, ms between them), seconds of unmeasured warm-up,
 * then seconds measured (both clients alike). This is a clock measurement, not a throughput one
 * (section 2 is): neither client may saturate its core, or the figures measure its queue. At 20
 * streams, short streams (4 events 5 ms apart, ~800 streams/s); at 200, chat-like ones (10 events
 * 20 ms apart, ~1,000 streams/s): 200 of the short ones would be 8,000 streams/s, which saturates
 * the reference client's core as much as parity's. Each run reports its client's CPU share.
 *
 * `together`: parity and a reference client measure at the same moment (two processes on the
 * same core, one server). A p99 here is made of stalls of the machine (this 2-core VM: the top 1%
 * of errors come in clusters, all streams in flight at once late by 2–8 ms while the client's
 * thread is idle), and their count moves from one 8-second run to the next by more than any
 * client difference (measured in turns, the same reference's p99 went 0.9–2.6 ms): side by side,
 * both clients meet the same stalls. At 20 streams the two use ~0.6 of the core together; at 200
 * they would saturate it (~0.9), so there they run in turns (alternating order) as before.
 */
const CLOCK_LEVELS = [
  { conc: 20, events: 4, gapMs: 5, warmup: 2, seconds: 4, together: true },
  { conc: 200, events: 10, gapMs: 20, warmup: 2, seconds: 4, together: false },
];

/** Runs the given clients at the same time (each in its own process, all on core 1), each measuring its streams. */
async function clockRun(modes: ClockMode[], level: (typeof CLOCK_LEVELS)[number], url: string, outDir: string): Promise<ClockRun[]> {
  return Promise.all(
    modes.map(async (mode) => {
      const argv = [mode, String(level.conc), String(level.warmup), String(level.seconds), url, outDir];
      const [cmd, ...args] = await pinned(1, [process.execPath, '--import', 'tsx', path.join(ROOT, 'test/bench/clock-client.ts'), ...argv]);
      const { stdout } = await run(cmd!, args, { maxBuffer: 64 << 20 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as ClockRun;
    }),
  );
}

type Spread = { median: number; min: number; max: number };
const spreadOf = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/**
 * parity against one reference over the runs in which both measured (side by side, or in turns
 * within a repeat): per repeat, the p50 difference (latency parity adds) and the p99 ratio (its
 * timing error against the reference's); the median of the repeats is the figure (one run's stall
 * does not decide it), with its spread. Also the streams of all repeats pooled, reported.
 */
function clockCompare(pairs: [ClockRun, ClockRun][]) {
  const pool = (runs: ClockRun[], k: 'first' | 'done') => runs.flatMap((r) => r[k]);
  const [P, R] = [pairs.map((x) => x[0]), pairs.map((x) => x[1])];
  const q = (xs: number[], p: number) => quantile(xs, p);
  const for_ = (k: 'first' | 'done') => {
    const [p, r] = [pool(P, k), pool(R, k)];
    const p50 = k === 'first' ? 'firstP50' : 'doneP50';
    const p99 = k === 'first' ? 'firstP99' : 'doneP99';
    return {
      addedP50Ms: spreadOf(pairs.map(([a, b]) => a[p50] - b[p50])),
      p99Ratio: spreadOf(pairs.map(([a, b]) => a[p99] / b[p99])),
      pooled: { addedP50Ms: q(p, 0.5) - q(r, 0.5), p99Ms: { parity: q(p, 0.99), reference: q(r, 0.99) }, p99Ratio: q(p, 0.99) / q(r, 0.99) },
    };
  };
  return { streams: { parity: pool(P, 'first').length, reference: pool(R, 'first').length }, firstContent: for_('first'), completion: for_('done') };
}

async function clockTruth(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'parity-bench-clock-'));
  const brief = (x: ClockRun) => `${x.mode} first content +${x.firstP50.toFixed(3)} ms p50, ${x.firstP99.toFixed(3)} ms p99; completion +${x.doneP50.toFixed(3)} / ${x.doneP99.toFixed(3)} ms; CPU ${(x.cpuShare * 100).toFixed(0)}%`;
  // The server on core 0, the clients on core 1 (when taskset is there): no client steals the server's core.
  for (const level of CLOCK_LEVELS) {
    const conc = level.conc;
    const server = await startChild('test/bench/stamp-server.ts', [String(level.events), String(level.gapMs)], 0);
    try {
      // Target: against referencePaired (the traffic parity sends, pairs). Reported: against the unpaired reference.
      const vsPaired: [ClockRun, ClockRun][] = [];
      const vsUnpaired: [ClockRun, ClockRun][] = [];
      const runs: ClockRun[][] = [];
      for (let r = 0; r < CLOCK_REPEATS; r++) {
        const flip = r % 2 === 1;
        if (level.together) {
          for (const ref of flip ? (['reference', 'referencePaired'] as const) : (['referencePaired', 'reference'] as const)) {
            const [p, x] = await clockRun(flip ? [ref, 'parity'] : ['parity', ref], level, server.url, outDir).then((rs) => (rs[0]!.mode === 'parity' ? rs : [rs[1]!, rs[0]!]));
            (ref === 'referencePaired' ? vsPaired : vsUnpaired).push([p!, x!]);
            runs.push([p!, x!]);
            log(`  ${conc} streams, side by side: ${brief(p!)} | ${brief(x!)}`);
          }
        } else {
          const got: Partial<Record<ClockMode, ClockRun>> = {};
          for (const mode of flip ? (['reference', 'referencePaired', 'parity'] as const) : (['parity', 'referencePaired', 'reference'] as const)) {
            const [x] = await clockRun([mode], level, server.url, outDir);
            got[mode] = x!;
            log(`  ${conc} streams, in turns: ${brief(x!)}`);
          }
          vsPaired.push([got.parity!, got.referencePaired!]);
          vsUnpaired.push([got.parity!, got.reference!]);
          runs.push([got.parity!, got.referencePaired!, got.reference!]);
        }
      }
      const paired = clockCompare(vsPaired);
      const unpaired = clockCompare(vsUnpaired);
      out.push({
        concurrentStreams: conc,
        stream: { events: level.events, gapMs: level.gapMs },
        pinned: TASKSET ?? false,
        measured: level.together ? 'side by side' : 'in turns',
        repeats: CLOCK_REPEATS,
        // Per run, without the per-stream arrays (pooled above).
        runs: runs.map((g) => g.map(({ first: _f, done: _d, ...rest }) => rest)),
        vsReferencePaired: paired,
        vsReference: unpaired,
        // Targets (against the reference sending the same pairs; medians of the repeats): ≤ 0.1 ms added at p50, p99 error ≤ 1.25× the reference's.
        meets: Math.max(paired.firstContent.addedP50Ms.median, paired.completion.addedP50Ms.median) <= 0.1 && Math.max(paired.firstContent.p99Ratio.median, paired.completion.p99Ratio.median) <= 1.25,
      });
    } finally {
      server.child.kill('SIGTERM');
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// 6. Summaries of 1 M samples.

function summarizeMillion(): number {
  const acc = new SummaryAccumulator('t', 'baseline', 's');
  const s: StreamSample = {
    target: 't', role: 'baseline', scenario: 's', requestId: 'r', iteration: 0, vu: 0, promptIndex: 0, expectsCitations: true, startedAt: 0,
    outcome: 'complete', status: 200, headersMs: 0, firstEventMs: 0, firstContentMs: 0, completionMs: 0, endMs: 0, gapsMs: [], events: 10, contentChunks: 8,
    contentChars: 80, bytes: 900, citations: 1, dispatchLagMs: 0,
  };
  const t0 = performance.now();
  for (let i = 0; i < 1_000_000; i++) {
    s.headersMs = 5 + (i % 97) / 10;
    s.firstEventMs = 40 + (i % 997) / 10;
    s.firstContentMs = s.firstEventMs + 1;
    s.completionMs = 300 + (i % 9973) / 10;
    s.gapsMs = [10 + (i % 7), 11, 9 + (i % 5), 12, 10, 10, 13, 9];
    s.dispatchLagMs = (i % 13) / 10;
    acc.add(s);
  }
  acc.summary();
  return performance.now() - t0;
}

// ------------------------------------------------------------------------------------------------

async function streamScale(n: number, mode: 'parity' | 'bare', url: string, outDir: string) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/stream-client.ts'), mode, String(n), url, outDir], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { streams: number; failures: number; errorP50: number; errorP99: number; peakRssMb: number; events: number };
}

/**
 * Every tool run REPEATS times in alternating order against the bench's JSON server; each run's
 * rate as the server counted it over its full seconds (see json-server.ts). Stops if the tools
 * sent the server requests of different sizes.
 */
async function serverRates(url: string, tools: [string, () => Promise<number | null>][]) {
  const tput: Record<string, number[]> = Object.fromEntries(tools.map(([k]) => [k, []]));
  if (!tools.some(([k]) => k === 'wrk')) tput.wrk = [];
  const requestBytes: Record<string, number> = {};
  const clientReported: Record<string, number[]> = Object.fromEntries(Object.keys(tput).map((k) => [k, []]));
  const fullSeconds: Record<string, number[]> = Object.fromEntries(Object.keys(tput).map((k) => [k, []]));
  for (let r = 0; r < REPEATS; r++) {
    const order = r % 2 === 0 ? tools : [...tools].reverse();
    for (const [name, fn] of order) {
      const v = await fn();
      const served = (await (await fetch(`${url}/stats`)).json()) as { requests: number; meanBytes: number; perSecond: number[] };
      // Every client's rate as the server counted it, the same way for all: the full seconds
      // between the first (connections opening, JIT warm-up) and the last (winding down).
      const steady = served.perSecond.slice(1, -1);
      const rate = v === null || steady.length < 2 ? NaN : steady.reduce((a, b) => a + b, 0) / steady.length;
      tput[name]!.push(rate); // NaN: this tool could not run (wrk missing); medians skip it
      if (v !== null) fullSeconds[name]!.push(...steady);
      clientReported[name]!.push(v ?? NaN);
      if (served.requests) requestBytes[name] = Math.round(served.meanBytes);
      log(`  repeat ${r + 1} ${name}: ${Number.isNaN(rate) ? 'n/a' : Math.round(rate)} req/s steady (${v === null ? 'n/a' : Math.round(v)} over the whole run; mean request ${served.meanBytes.toFixed(0)} bytes)`);
    }
  }
  // Every tool must have sent the server the same request (± a few bytes of iteration digits).
  const sizes = Object.values(requestBytes);
  if (Math.max(...sizes) - Math.min(...sizes) > 8) throw new Error(`the tools sent requests of different sizes: ${JSON.stringify(requestBytes)}`);
  return { tput, fullSeconds, clientReported, requestBytes };
}

/** Two estimates of a ratio of rates: the median of the per-repeat ratios, and the ratio of the best seconds. */
function ratioOf(tput: Record<string, number[]>, best: Record<string, number>) {
  return (a: string, b: string) => {
    const repeats = median(tput[a]!.map((v, i) => v / tput[b]![i]!));
    return Number.isNaN(repeats) || !best[a] || !best[b] ? null : { repeats, best: best[a] / best[b] };
  };
}

async function main() {
  const started = Date.now();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { repeats: REPEATS, seconds: SECONDS, connections: CONNECTIONS },
  };
  const lua = path.join(mkdtempSync(path.join(os.tmpdir(), 'parity-bench-')), 'post.lua');
  const FIXED = sameRequest(newRunId(), 10_000);
  writeFileSync(lua, [`wrk.method = "${FIXED.method}"`, `wrk.body = '${FIXED.body}'`, ...Object.entries(FIXED.headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)].join('\n') + '\n');
  const hasWrk = await run('which', ['wrk']).then(
    () => true,
    () => false,
  );

  if (wanted('throughput')) {
    log('1. throughput (requests/s, 50 connections, same server)');
    const json = await startChild('test/bench/json-server.ts', []);
    const tools: [string, () => Promise<number | null>][] = [
      ['parity', () => clientRate('parity', json.url)],
      ['undici', () => clientRate('undici', json.url)],
      ['undiciDispatch', () => clientRate('undiciDispatch', json.url)],
      ['autocannon', () => clientRate('autocannon', json.url)],
      ...(hasWrk ? ([['wrk', () => wrkRate(json.url, lua)]] as [string, () => Promise<number | null>][]) : []),
      ['parityWorkers2', () => clientRate('parityWorkers2', json.url)],
      ['parityRaw', () => clientRate('parityRaw', json.url)],
    ];
    const { tput, fullSeconds, clientReported, requestBytes } = await serverRates(json.url, tools);
    json.child.kill('SIGTERM');
    const m = Object.fromEntries(Object.entries(tput).map(([k, v]) => [k, median(v)]).filter(([, v]) => !Number.isNaN(v)));
    // The machine's speed drifts between repeats and jumps within them (other jobs on the host:
    // a client's rate can halve from one second to the next). Two estimates, both reported:
    // - repeats: the median of the ratios within each repeat, where both runs were neighbours in
    //   time (not a ratio of medians);
    // - best: the ratio of the clients' best seconds (the 90th percentile of every full second of
    //   every repeat). Interference only ever slows a client down, so a client's best seconds are
    //   its speed on the machine undisturbed (what timeit's minimum is to a timing).
    const best = Object.fromEntries(Object.entries(fullSeconds).filter(([, v]) => v.length > 0).map(([k, v]) => [k, quantile(v, 0.9)]));
    const ratio = ratioOf(tput, best);
    results.throughput = {
      medians: m,
      best,
      runs: tput,
      fullSeconds,
      clientReportedRuns: clientReported,
      meanRequestBytes: requestBytes,
      parityVsUndici: ratio('parity', 'undici'),
      parityVsUndiciDispatch: ratio('parity', 'undiciDispatch'),
      parityVsAutocannon: ratio('parity', 'autocannon'),
      parityVsWrk: ratio('parity', 'wrk'),
      workers2VsWorkers1: ratio('parityWorkers2', 'parity'),
      rawVsAutocannon: ratio('parityRaw', 'autocannon'),
      wrk: hasWrk ? 'wrk 4.1 (Debian package), -t1' : 'not available',
    };

  
  }

  if (wanted('requests')) {
    log('5. JSON request scenario (req/s, 50 connections, same server): parity paired, latency per endpoint, 5% of pairs diffed');
    const json = await startChild('test/bench/json-server.ts', []);
    const tools: [string, () => Promise<number | null>][] = [
      ['parityRequest', () => clientRate('parityRequest', json.url)],
      ['undiciPaired', () => clientRate('undiciPaired', json.url)],
      ['undici', () => clientRate('undici', json.url)],
      ['undiciDispatchPaired', () => clientRate('undiciDispatchPaired', json.url)],
      ['rawPaired', () => clientRate('rawPaired', json.url)],
      ['autocannon', () => clientRate('autocannon', json.url)],
    ];
    const { tput, fullSeconds } = await serverRates(json.url, tools);
    const best = Object.fromEntries(Object.entries(fullSeconds).filter(([, v]) => v.length > 0).map(([k, v]) => [k, quantile(v, 0.9)]));
    const ratio = ratioOf(tput, best);
    json.child.kill('SIGTERM');
    results.requests = {
      medians: Object.fromEntries(Object.entries(tput).map(([k, v]) => [k, median(v)]).filter(([, v]) => !Number.isNaN(v))),
      best,
      runs: tput,
      parityVsUndiciPaired: ratio('parityRequest', 'undiciPaired'),
      parityVsUndici: ratio('parityRequest', 'undici'),
      parityVsAutocannon: ratio('parityRequest', 'autocannon'),
      pairedVsUnpaired: ratio('undiciPaired', 'undici'),
      rawPairedVsAutocannon: ratio('rawPaired', 'autocannon'),
      undiciDispatchPairedVsAutocannon: ratio('undiciDispatchPaired', 'autocannon'),
      parityVsUndiciDispatchPaired: ratio('parityRequest', 'undiciDispatchPaired'),
    };
  }

  if (wanted('streams')) {
    log('2. stream scale (timing error = client receive − server stamp, per event)');
    const fixture = await startChild('fixtures/backends/serve.ts', [JSON.stringify({ framing: 'openai', streamPath: '/chat-stream', tokens: 8, firstContentDelayMs: 200, interEventGapMs: 250, stampEvents: true })]);
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'parity-bench-streams-'));
    const scale: Record<string, unknown>[] = [];
    for (const n of STREAM_SIZES) {
      const runs: Record<'parity' | 'bare', Awaited<ReturnType<typeof streamScale>>[]> = { parity: [], bare: [] };
      for (let r = 0; r < REPEATS; r++) {
        for (const mode of r % 2 === 0 ? (['parity', 'bare'] as const) : (['bare', 'parity'] as const)) {
          const res = await streamScale(n, mode, fixture.url, outDir);
          runs[mode].push(res);
          log(`  ${n} streams ${mode}: error p50 ${res.errorP50.toFixed(2)} ms p99 ${res.errorP99.toFixed(2)} ms, rss ${res.peakRssMb.toFixed(0)} MB, failures ${res.failures}/${res.streams}`);
        }
      }
      const med = (mode: 'parity' | 'bare', k: 'errorP50' | 'errorP99' | 'peakRssMb') => median(runs[mode].map((x) => x[k]));
      scale.push({
        streams: n,
        parity: { errorP50: med('parity', 'errorP50'), errorP99: med('parity', 'errorP99'), peakRssMb: med('parity', 'peakRssMb'), failures: Math.max(...runs.parity.map((x) => x.failures)) },
        bare: { errorP50: med('bare', 'errorP50'), errorP99: med('bare', 'errorP99'), peakRssMb: med('bare', 'peakRssMb'), failures: Math.max(...runs.bare.map((x) => x.failures)) },
        errorP99Ratio: med('parity', 'errorP99') / med('bare', 'errorP99'),
        rssRatio: med('parity', 'peakRssMb') / med('bare', 'peakRssMb'),
      });
    }
    fixture.child.kill('SIGTERM');
    results.streamScale = scale;

  
  }

  if (wanted('parser')) {
    log('3. parser path (bytes/s, in memory)');
    const chunks = payload();
    const parse: Record<string, number[]> = { probe: [], bare: [] };
    // Warm-up first, unmeasured: the probe path is more code for the JIT to optimize than a bare
    // parser loop, and one cold run in a short series would make the median about the JIT.
    for (let w = 0; w < 3; w++) {
      await parserProbe(chunks);
      parserBare(chunks);
    }
    for (let r = 0; r < Math.max(6, REPEATS * 2); r++) {
      const order: [string, (c: Buffer[]) => number | Promise<number>][] = [['probe', parserProbe], ['bare', parserBare]];
      for (const [name, fn] of r % 2 === 0 ? order : order.reverse()) parse[name]!.push(await fn(chunks));
    }
    results.parser = { probeBytesPerSec: median(parse.probe!), bareBytesPerSec: median(parse.bare!), overhead: median(parse.bare!) / median(parse.probe!) };

  
  }

  if (wanted('clock')) {
    log('5. clock truth (client − server-stamped first content / completion, per stream)');
    results.clock = await clockTruth();
  }

  if (wanted('summaries')) {
    log('4. summaries of 1 M samples');
    results.summaries = { millionSamplesMs: median(Array.from({ length: 3 }, summarizeMillion)) };
  
  }

  if (wanted('shadow')) results.shadow = await benchShadow();

  // Memory: long runs whose figure is RSS over time, not speed (so they also read true on a busy machine).
  if (wanted('memory')) {
    log('6. memory: the JSON request scenario over a long run; a mirrored shadow run with windows rotating');
    const json = await startChild('test/bench/json-server.ts', []);
    // Memory over a long run: RSS once a second; flat means the last quarter's is no higher than the
    // second quarter's. BENCH_MEMORY_REQUESTS=1000000 runs the issue's 1 M requests (else BENCH_MEMORY_SECONDS, default 30 s).
    const memSeconds = Number(process.env.BENCH_MEMORY_SECONDS ?? 30);
    const memRequests = Number(process.env.BENCH_MEMORY_REQUESTS ?? 0);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/throughput-client.ts'), 'parityRequestMemory', json.url, String(memSeconds), String(CONNECTIONS), String(memRequests)], { maxBuffer: 1 << 22 });
    const mem = JSON.parse(stdout.trim().split('\n').pop()!) as { rate: number; requests: number; seconds: number; rssMb: number[]; started: number[] };
    // Quarters of the load by iterations started (not by time): the finalize phase after the last start is reported apart.
    const last = Math.max(...mem.started);
    const loadEnd = mem.started.indexOf(last);
    const q = (from: number, to: number) => median(mem.rssMb.filter((_, i) => i <= loadEnd && mem.started[i]! >= last * from && mem.started[i]! <= last * to));
    const finalizePeakMb = Math.max(...mem.rssMb.slice(loadEnd + 1), 0);
    json.child.kill('SIGTERM');
    log(`  requests: ${mem.requests} in ${mem.seconds} s, RSS ${mem.rssMb.join(' ')} MB`);
    results.memory = {
      requests: { seconds: mem.seconds, requests: mem.requests, rssMb: mem.rssMb, iterationsStarted: mem.started, secondQuarterMb: q(0.25, 0.5), lastQuarterMb: q(0.75, 1), growth: q(0.75, 1) / q(0.25, 0.5), finalizePeakMb },
      shadow: await benchShadowSoak(),
    };
  }

  results.totalSeconds = Math.round((Date.now() - started) / 1000);

  const dir = path.join(ROOT, 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(table(results) + `\n${path.relative(process.cwd(), file)}\n`);
}

function table(r: Record<string, unknown>): string {
  type Ratio = { repeats: number; best: number } | null;
  const t = r.throughput as { medians: Record<string, number>; best: Record<string, number>; parityVsUndici: Ratio; parityVsUndiciDispatch: Ratio; parityVsAutocannon: Ratio; parityVsWrk: Ratio; workers2VsWorkers1: Ratio; rawVsAutocannon: Ratio; wrk: string } | undefined;
  const s = (r.streamScale ?? []) as { streams: number; parity: { errorP50: number; errorP99: number; peakRssMb: number; failures: number }; bare: { errorP50: number; errorP99: number; peakRssMb: number; failures: number }; errorP99Ratio: number; rssRatio: number }[];
  const p = r.parser as { probeBytesPerSec: number; bareBytesPerSec: number; overhead: number } | undefined;
  const sum = r.summaries as { millionSamplesMs: number } | undefined;
  type ClockFig = { addedP50Ms: Spread; p99Ratio: Spread; pooled: { addedP50Ms: number; p99Ratio: number } };
  type ClockCmp = { firstContent: ClockFig; completion: ClockFig };
  const clock = (r.clock ?? []) as { concurrentStreams: number; pinned: boolean; measured: string; repeats: number; vsReferencePaired: ClockCmp; vsReference: ClockCmp; meets: boolean }[];
  const sp = (x: Spread, d = 3, unit = '') => `${x.median.toFixed(d)}${unit} (${x.min.toFixed(d)}..${x.max.toFixed(d)})`;
  const rq = r.requests as { medians: Record<string, number>; best: Record<string, number>; parityVsUndiciPaired: Ratio; parityVsUndici: Ratio; parityVsAutocannon: Ratio; pairedVsUnpaired: Ratio; rawPairedVsAutocannon?: Ratio; undiciDispatchPairedVsAutocannon?: Ratio; parityVsUndiciDispatchPaired?: Ratio } | undefined;
  const mem = r.memory as { requests: { seconds: number; requests: number; secondQuarterMb: number; lastQuarterMb: number; growth: number; finalizePeakMb: number }; shadow: { seconds: number; middleThirdMedianMb: number; lastThirdMedianMb: number; growth: number } } | undefined;
  type P = { p50: number; p99: number };
  const sh = r.shadow as { streams: number; pinned: unknown; repeats: number; addedFirstEventMs: Record<'nginx' | 'parity' | 'nodeHttp' | 'nodeTcp', Record<'p50' | 'p99', Spread>>; addedRatioVsNginx: P; yardsticksVsNginx: Record<'nodeHttp' | 'nodeTcp', P>; cpuMsPerStream: { nginx: number; parity: number; nodeHttp: number; nodeTcp: number; ratio: number }; candidateDownVsHealthy: P; candidate10xSlowerVsHealthy: P; jsonRate: { nginx: number; parity: number; ratio: number } } | undefined;
  const m = r.machine as { cpus: number; model: string; memGb: number; node: string };
  const f = (v: number, d = 2) => v.toFixed(d);
  const fr = (v: Ratio) => (v === null ? '–' : `${f(v.repeats)}× / ${f(v.best)}×`);
  /** A throughput: the median of the repeats' steady rates (the best seconds' rate). */
  const rate = (k: string) => (t!.medians[k] === undefined ? 'n/a' : `${Math.round(t!.medians[k])} (best ${Math.round(t!.best[k]!)})`);
  const lines = [
    `machine: ${m.cpus} × ${m.model}, ${m.memGb} GB, Node ${m.node}; medians of ${(r.settings as { repeats: number }).repeats} alternating repeats`,
    'throughput: req/s counted by the server over the full seconds of each run (not the first or last); median of the repeats (best: 90th percentile of all those seconds);',
    'throughput ratios: median of the per-repeat ratios / ratio of the best seconds',
    '',
    '| measurement | parity | reference | ratio |',
    '|---|---|---|---|',
    ...(t
      ? [
          `| JSON throughput, 50 conns (req/s) | ${rate('parity')} | bare undici Pool loop (request()) ${rate('undici')} | ${fr(t.parityVsUndici)} |`,
          `| | | bare undici dispatch() loop ${rate('undiciDispatch')} | ${fr(t.parityVsUndiciDispatch)} |`,
          `| | | autocannon ${rate('autocannon')} | ${fr(t.parityVsAutocannon)} |`,
          `| | | ${t.medians.wrk ? `wrk ${rate('wrk')}` : `wrk: ${t.wrk}`} | ${fr(t.parityVsWrk)} |`,
          `| --workers 2 vs 1 (req/s) | ${rate('parityWorkers2')} | workers 1: ${rate('parity')} | ${fr(t.workers2VsWorkers1)} |`,
          `| \`parity raw\` (autocannon underneath), 50 conns (req/s) | ${rate('parityRaw')} | standalone autocannon ${rate('autocannon')} | ${fr(t.rawVsAutocannon)} |`,
        ]
      : []),
    ...s.flatMap((x) => [
      `| ${x.streams} SSE streams: timing error p50 / p99 (ms) | ${f(x.parity.errorP50)} / ${f(x.parity.errorP99)} | undici + eventsource-parser ${f(x.bare.errorP50)} / ${f(x.bare.errorP99)} | p99 ${f(x.errorP99Ratio)}× |`,
      `| ${x.streams} SSE streams: peak RSS (MB), failures | ${f(x.parity.peakRssMb, 0)}, ${x.parity.failures} | ${f(x.bare.peakRssMb, 0)}, ${x.bare.failures} | ${f(x.rssRatio)}× |`,
    ]),
    ...clock.flatMap((c) => {
      const [pr, un] = [c.vsReferencePaired, c.vsReference];
      const [fc, cp] = [pr.firstContent, pr.completion];
      return [
        `| clock, ${c.concurrentStreams} streams${c.pinned ? ' (pinned)' : ''}, ${c.measured}: added p50 first content / completion (ms; median of ${c.repeats} repeats, spread) | ${sp(fc.addedP50Ms)} / ${sp(cp.addedP50Ms)} | node:http + plain SSE split, sending the same pairs | target ≤ 0.1 ms${Math.max(fc.addedP50Ms.median, cp.addedP50Ms.median) <= 0.1 ? '' : ' (missed)'} |`,
        `| clock, ${c.concurrentStreams} streams: p99 timing error ratio first content / completion (median of repeats, spread; all streams pooled) | ${sp(fc.p99Ratio, 2, '×')} / ${sp(cp.p99Ratio, 2, '×')}; pooled ${fc.pooled.p99Ratio.toFixed(2)}× / ${cp.pooled.p99Ratio.toFixed(2)}× | | target ≤ 1.25×${Math.max(fc.p99Ratio.median, cp.p99Ratio.median) <= 1.25 ? '' : ' (missed)'} |`,
        `| clock, ${c.concurrentStreams} streams: against the unpaired reference (one request per loop): added p50; p99 ratio (medians) | ${un.firstContent.addedP50Ms.median.toFixed(3)} / ${un.completion.addedP50Ms.median.toFixed(3)} ms; ${un.firstContent.p99Ratio.median.toFixed(2)}× / ${un.completion.p99Ratio.median.toFixed(2)}× | node:http + plain SSE split, unpaired | reported |`,
      ];
    }),
    ...(rq
      ? [
          `| JSON request scenario, 50 conns (req/s; paired, 5% diffed) | ${Math.round(rq.medians.parityRequest ?? NaN)} (best ${Math.round(rq.best.parityRequest ?? NaN)}) | bare undici Pool loop of the same pairs ${Math.round(rq.medians.undiciPaired ?? NaN)} (best ${Math.round(rq.best.undiciPaired ?? NaN)}) | ${fr(rq.parityVsUndiciPaired)} (target ≥ 0.85×) |`,
          `| | | bare undici Pool loop, unpaired ${Math.round(rq.medians.undici ?? NaN)} (best ${Math.round(rq.best.undici ?? NaN)}) | ${fr(rq.parityVsUndici)} (pairing itself: ${fr(rq.pairedVsUnpaired)}) |`,
          `| | | autocannon ${Math.round(rq.medians.autocannon ?? NaN)} (best ${Math.round(rq.best.autocannon ?? NaN)}) | ${fr(rq.parityVsAutocannon)} (target ≥ 1×) |`,
          `| undici dispatch() loop of the same pairs, nothing recorded (the most a client on undici reaches; not parity) | ${Math.round(rq.medians.undiciDispatchPaired ?? NaN)} (best ${Math.round(rq.best.undiciDispatchPaired ?? NaN)}) | autocannon | ${rq.undiciDispatchPairedVsAutocannon ? fr(rq.undiciDispatchPairedVsAutocannon) : 'n/a'} (parity vs it: ${rq.parityVsUndiciDispatchPaired ? fr(rq.parityVsUndiciDispatchPaired) : 'n/a'}) |`,
          `| raw paired sockets, nothing recorded (about the most any paired client reaches; not parity) | ${Math.round(rq.medians.rawPaired ?? NaN)} (best ${Math.round(rq.best.rawPaired ?? NaN)}) | autocannon | ${rq.rawPairedVsAutocannon ? fr(rq.rawPairedVsAutocannon) : 'n/a'} |`,
        ]
      : []),
    ...(sh
      ? [
          `| shadow inline, ${sh.streams} SSE streams${sh.pinned ? ' (proxy pinned)' : ''}: added time to first event p50 / p99 (ms; median of ${sh.repeats} repeats, p50 spread) | ${f(sh.addedFirstEventMs.parity.p50.median)} / ${f(sh.addedFirstEventMs.parity.p99.median)} (${f(sh.addedFirstEventMs.parity.p50.min)}..${f(sh.addedFirstEventMs.parity.p50.max)}) | nginx proxy_pass ${f(sh.addedFirstEventMs.nginx.p50.median)} / ${f(sh.addedFirstEventMs.nginx.p99.median)} (${f(sh.addedFirstEventMs.nginx.p50.min)}..${f(sh.addedFirstEventMs.nginx.p50.max)}) | ${f(sh.addedRatioVsNginx.p50)}× / ${f(sh.addedRatioVsNginx.p99)}× (target ≤ 1.5×) |`,
          `| shadow yardsticks, nothing measured or copied: added time to first event p50 / p99 (ms) | bare Node proxy (node:http + undici) ${f(sh.addedFirstEventMs.nodeHttp.p50.median)} / ${f(sh.addedFirstEventMs.nodeHttp.p99.median)}; Node TCP relay ${f(sh.addedFirstEventMs.nodeTcp.p50.median)} / ${f(sh.addedFirstEventMs.nodeTcp.p99.median)} | nginx | ${f(sh.yardsticksVsNginx.nodeHttp.p50)}× / ${f(sh.yardsticksVsNginx.nodeHttp.p99)}×; ${f(sh.yardsticksVsNginx.nodeTcp.p50)}× / ${f(sh.yardsticksVsNginx.nodeTcp.p99)}× |`,
          `| shadow inline: CPU per proxied stream (ms) | ${f(sh.cpuMsPerStream.parity)} (bare Node proxy ${f(sh.cpuMsPerStream.nodeHttp)}, TCP relay ${f(sh.cpuMsPerStream.nodeTcp)}) | nginx ${f(sh.cpuMsPerStream.nginx)} | ${f(sh.cpuMsPerStream.ratio)}× |`,
          `| shadow inline: time to first event with the candidate down / 10× slower vs healthy (p50, p99) | ${f(sh.candidateDownVsHealthy.p50)}×, ${f(sh.candidateDownVsHealthy.p99)}× / ${f(sh.candidate10xSlowerVsHealthy.p50)}×, ${f(sh.candidate10xSlowerVsHealthy.p99)}× | | target ≤ 1.1× |`,
          `| shadow inline: JSON (req/s) | ${f(sh.jsonRate.parity, 0)} | nginx ${f(sh.jsonRate.nginx, 0)} | ${f(sh.jsonRate.ratio)}× (target ≥ 0.5×) |`,
        ]
      : []),
    ...(mem
      ? [
          `| memory: JSON request scenario, ${mem.requests.requests} requests in ${mem.requests.seconds} s: RSS (MB) 2nd → last quarter of the load (peak while writing the run: ${f(mem.requests.finalizePeakMb, 0)}) | ${f(mem.requests.secondQuarterMb, 0)} → ${f(mem.requests.lastQuarterMb, 0)} | | growth ${f(mem.requests.growth)}× |`,
          `| memory: shadow mirror, ${mem.shadow.seconds} s, 5 s windows: RSS (MB) middle → last third | ${f(mem.shadow.middleThirdMedianMb, 0)} → ${f(mem.shadow.lastThirdMedianMb, 0)} | | growth ${f(mem.shadow.growth)}× |`,
        ]
      : []),
    ...(p ? [`| SSE parser path (MB/s) | ${f(p.probeBytesPerSec / 1e6, 1)} | eventsource-parser alone ${f(p.bareBytesPerSec / 1e6, 1)} | overhead ${f(p.overhead)}× |`] : []),
    ...(sum ? [`| summaries of 1 M samples (ms) | ${f(sum.millionSamplesMs, 0)} | | |`] : []),
  ];
  return lines.join('\n');
}

await main();
