import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventSourceMessage } from 'eventsource-parser';
import type { LoadedConfig, ResolvedFlowScenario, ResolvedScenario } from '../config/load.ts';
import { Histogram, type HistogramJSON } from '../metrics/histogram.ts';
import type { PairedSample, StreamSample } from '../metrics/sample.ts';
import { SummaryAccumulator, type SummaryStateJSON } from '../metrics/summary.ts';
import { TimelineAccumulator, type TimelineJSON } from '../metrics/timeline.ts';
import { runLoad, shareOf, type Iteration, type LoadContext } from '../load/model.ts';
import { pickScenario } from '../load/mix.ts';
import { planStream, scenarioFor, streamPath } from '../load/plan.ts';
import { stampIntended } from '../probes/clock.ts';
import { sendOrder } from '../probes/send-order.ts';
import { runFlowIteration } from '../probes/flow-runner.ts';
import type { FlowRun } from '../probes/request-pair.ts';
import type { ContractStepSummary } from './result.ts';
import { EndpointSinks, type EndpointStateJSON } from './endpoints.ts';
import type { DriftingPair } from './load-diffs.ts';
import { Slots } from '../load/slots.ts';
import { StreamProbe, type ProbeResult } from '../probes/stream-probe.ts';
import { WarmConnector } from '../targets/preconnect.ts';
import { openTarget, streamHeaders, type LiveTarget } from '../targets/target.ts';
import { recordSample, type LiveStats } from './live-stats.ts';
import { SampleSpool } from './sample-spool.ts';
import { Scrubber, scrubError } from '../secrets/scrubber.ts';
import type { CapturedRequest } from '../sources/replay/capture.ts';
import { replayPair } from '../sources/replay/pair.ts';
import { runReplay } from '../sources/replay/schedule.ts';
import type { ReplaySource } from '../sources/replay/source.ts';
import { warmReplayPath } from '../sources/replay/warm.ts';

const ELD_RESOLUTION_MS = 10;
/** Connections a replay opens to each target before its clock starts. */
const PRECONNECT = 4;

export interface ShardInput {
  loaded: LoadedConfig;
  runId: string;
  /** This worker's share of the load (index 0 of 1 without workers). */
  shard: { index: number; count: number };
  /** performance.now() in this thread at which the schedule starts. */
  startAt: number;
  /** Wall clock − (performance.timeOrigin + performance.now()), for a segment: intended starts are stamped start signal + plan offset. */
  wallClockOffsetMs?: number | undefined;
  samplesFile: string;
  warmupFile: string;
  signal: AbortSignal;
  claimIteration(): number;
  stats: LiveStats;
  /** Every measured pair, as it completes (tests and API users; the run itself keeps none). */
  onPair?: (pair: PairedSample) => void;
  /** Every SSE event as the probe classifies it (benchmarks measure client-side timing with it). */
  onStreamEvent?: (target: string, ev: EventSourceMessage) => void;
  /**
   * A pair could not be written (disk full, read-only): the run must stop, since nothing measured
   * from now on would be kept. Default: the error is thrown into the load.
   */
  fail?: (err: unknown) => void;
  /** `parity replay`: the capture drives the schedule and gives each iteration's request (in place of the load model and scenarios). */
  replay?: ReplaySource | undefined;
}

/** What one shard measured, as plain data (it crosses from a worker thread to the run). */
export interface ShardState {
  /** Per scenario: baseline then candidate. */
  summaries: SummaryStateJSON[];
  iterations: number;
  warmupIterations: number;
  pairs: number;
  abandoned: number;
  dropped: number;
  schedulerLag: HistogramJSON;
  /** Streams ended per second and target (the reports' timeline). */
  timeline: TimelineJSON;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  /** Request and flow scenarios: per endpoint, and the contract diffs sampled under load. */
  endpoints?: EndpointStateJSON[];
  loadContracts?: ContractStepSummary[];
  /** The drifting pairs of those diffs, kept whole (bounded) for `diffs/<n>.json`. */
  loadDiffs?: DriftingPair[];
  /** Closed VUs that never ran an iteration (the iterations ran out before their turn in the ramp-up); absent when none. */
  idleVus?: number;
}

export interface Shard {
  run(): Promise<void>;
  /** The state so far (also after a crash): summaries of every pair measured. */
  state(): ShardState;
  accumulators: Map<string, [SummaryAccumulator, SummaryAccumulator]>;
}

/**
 * One thread's part of a run: its own target pools, its share of the load model, probes for both
 * targets per iteration, samples spooled to disk (NDJSON when the shard ends), and summaries fed as each pair completes.
 * The run uses one shard in process, or one per worker thread, and merges their states.
 */
export function createShard(input: ShardInput): Shard {
  const { loaded, shard, stats } = input;
  const wallOffset = input.wallClockOffsetMs ?? 0;
  const cfg = loaded.config;
  const load = cfg.load;
  if (!load) throw new Error('a load shard needs a load section (contract-only runs have no load phase)');
  const share = (c: number | undefined) => (c === undefined ? undefined : Math.max(1, shareOf(c, shard)));
  // A replay opens its first connections before its clock starts (its first starts carry no connect).
  const connectors = input.replay ? [loaded.baseline, loaded.candidate].map((t) => new WarmConnector(t.baseUrl, load.timeouts.connect)) : undefined;
  const targets = [loaded.baseline, loaded.candidate].map((t, i) => openTarget({ ...t, connections: share(t.connections) }, load.timeouts, connectors?.[i]!.connect)) as [LiveTarget, LiveTarget];
  const slots = targets.map((t) => (t.config.connections ? new Slots(t.config.connections) : undefined));
  const accumulators = new Map(
    loaded.scenarios.map((s) => [
      s.name,
      [new SummaryAccumulator(loaded.baseline.name, 'baseline', s.name), new SummaryAccumulator(loaded.candidate.name, 'candidate', s.name)] as [SummaryAccumulator, SummaryAccumulator],
    ]),
  );
  /** Per scenario: its accumulators, and whether its one endpoint is derived from them (a one-step request or flow scenario: see EndpointSinks.derive). */
  const sinks = new Map(loaded.scenarios.map((s) => [s.name, { acc: accumulators.get(s.name)!, oneStep: !input.replay && s.type !== 'stream' && s.flow.steps.length === 1, derived: false }]));
  const schedulerLag = new Histogram();
  const timeline = new TimelineAccumulator();
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  /** Pairs on disk, into the summaries, endpoints, timeline and the caller's onPair. */
  const counted = (pairs: readonly PairedSample[]) => {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      counts.pairs++;
      const sink = sinks.get(pair.scenario)!;
      sink.acc[0].add(pair.baseline);
      sink.acc[1].add(pair.candidate);
      if (pair.route !== undefined) {
        if (!sink.oneStep) endpoints.add(pair);
        else if (!sink.derived) {
          endpoints.derive(pair, sink.acc);
          sink.derived = true;
        }
      }
      timeline.add(pair.baseline);
      timeline.add(pair.candidate);
      input.onPair?.(pair);
    }
  };
  const samples = new SampleSpool(input.samplesFile, { batch: true, onWritten: counted, onError: input.fail });
  const scrubber = new Scrubber(loaded.secrets);
  let warmup: SampleSpool | undefined;
  const counts = { iterations: 0, warmupIterations: 0, pairs: 0, abandoned: 0, dropped: 0 };
  let idleVus = 0;
  /**
   * In the closed model, warm-up is decided when a pair ends: it started in the warm-up and ended in
   * it too. A pair still running when the warm-up ended saw the measured window, and is measured: a
   * freeze that catches every VU in a warm-up iteration holds them past the warm-up, and no other
   * iteration starts until it thaws, so leaving those pairs out hid the freeze from the gates
   * (test/redteam/warmup-outlived.test.ts). The arrival-rate models keep starting on schedule after
   * the warm-up (a freeze there shows in those starts, or as dropped ones), so their warm-up stays
   * the starts in it, and their measured iterations the starts the measured window offered.
   */
  const warmUntil = load.model === 'closed' ? input.startAt + load.warmup : Infinity;
  const stillWarm = (startedWarm: boolean) => startedWarm && performance.now() < warmUntil;
  const classifiers = targets.map((t) => (input.onStreamEvent ? (ev: EventSourceMessage) => (input.onStreamEvent!(t.config.name, ev), t.classify(ev)) : t.classify));

  // What a request to a target for a scenario always carries, worked out once (the request id is added per request).
  const fixedParts = new Map(
    loaded.scenarios.filter((sc): sc is ResolvedScenario => sc.type === 'stream').map((sc) => [
      sc,
      targets.map((t) => ({
        ...t.pathFor(sc.route),
        headers: streamHeaders(t.config, sc.headers, cfg.requestIdHeader, ''),
      })),
    ]),
  );

  type Plan = ReturnType<typeof planStream>;
  const endpoints = new EndpointSinks({ baseline: loaded.baseline.name, candidate: loaded.candidate.name });
  const hasFlows = loaded.scenarios.some((sc) => sc.type !== 'stream');
  // The noise replica of compared flow iterations: the baseline again, on its own pool; and its
  // counterweight, the candidate again on its own pool, so both targets carry the same load.
  const learnsNoise = loaded.scenarios.some((sc) => sc.type !== 'stream' && sc.noise && sc.compare > 0);
  const [replica, counterweight] = learnsNoise
    ? [loaded.baseline, loaded.candidate].map((t) => openTarget({ ...t, name: `${t.name}#2`, connections: share(t.connections) }, load.timeouts))
    : [undefined, undefined];
  const comparedHeaders = loaded.contracts?.headers ?? ['content-type'];
  /** Scenarios diffing a sample of their pairs (`compare` below "all"): their contract counts say so (ContractStepSummary.share). */
  // A replay's one scenario diffs `--compare` of its pairs (its own `compare` is 0).
  const shares = new Map(
    loaded.scenarios.flatMap((sc) => {
      const compare = input.replay ? (input.replay.compare?.share ?? 0) : sc.type !== 'stream' ? sc.compare : 0;
      return compare > 0 && compare < 1 ? [[sc.name, compare] as const] : [];
    }),
  );
  const withShare = (c: ContractStepSummary): ContractStepSummary => (shares.has(c.scenario) ? { ...c, share: shares.get(c.scenario)! } : c);

  /**
   * A measured pair into every sink: spool (or warm-up file), then, once the spool has it on disk
   * (batched: at the end of the turn, see SampleSpool), summaries per scenario and endpoint,
   * timeline, live counters. A pair the spool could not write is counted nowhere.
   *
   * On a segment, a sample's epoch times (`startedAt`, `intendedAt`) go on the wall clock its
   * start signal was read with, here, for every kind of iteration: the probes and the load model
   * stamp the monotonic epoch (performance.timeOrigin + now), which on a machine whose wall clock
   * was stepped or slewed since its process started is off by that much, and the merged run lines
   * up every segment's samples by these epoch times.
   */
  const onWallClock = (s: StreamSample) => {
    s.startedAt = round(s.startedAt + wallOffset);
    if (s.intendedAt !== undefined) s.intendedAt = round(s.intendedAt + wallOffset);
  };
  let ended = false;
  const record = (pair: PairedSample, isWarmup: boolean) => {
    // A backend may echo a credential in an error body or error event: scrubbed before the pair is
    // spooled, whatever measured it (stream, request, flow step, replayed request).
    if (!scrubber.empty) {
      scrubError(pair.baseline, scrubber);
      scrubError(pair.candidate, scrubber);
    }
    if (wallOffset !== 0) {
      onWallClock(pair.baseline);
      onWallClock(pair.candidate);
    }
    try {
      // A pair that ends after the shard did (its load stopped on a harness error while others ran) has no spool left to go to.
      if (ended) throw new Error(`a pair (request ${pair.requestId}) was measured after the run's samples were closed; it is not kept`);
      if (isWarmup) {
        (warmup ??= new SampleSpool(input.warmupFile, { batch: true, onError: input.fail })).write(pair);
        return;
      }
      samples.write(pair);
    } catch (err) {
      // A spool that cannot be written (disk full): the run stops with a harness error, nothing counted twice.
      if (!input.fail) throw err;
      input.fail(err);
    }
  };

  /** What every request or flow iteration of this shard shares: made once, so an iteration allocates no callbacks. */
  const flowRun: FlowRun = {
    targets,
    replica,
    counterweight,
    runId: input.runId,
    requestIdHeader: cfg.requestIdHeader,
    timeouts: load.timeouts,
    comparedHeaders,
    signal: input.signal,
    onPair(pair, isWarmup) {
      recordSample(stats.targets[0], pair.baseline);
      recordSample(stats.targets[1], pair.candidate);
      record(pair, stillWarm(isWarmup));
    },
    onCompared(obs, diffs, noise) {
      endpoints.compared(obs, diffs, noise);
    },
  };

  /** One paired iteration of a request or flow scenario: step pairs into the same sinks as streams. */
  const iterateFlow = async (sc: ResolvedFlowScenario, it: Iteration, isWarmup: boolean) => {
    const compared = !isWarmup && sc.compare > 0 && isCompared(it.iteration, sc.compare);
    const [b, c] = stats.targets;
    b.inFlight++;
    c.inFlight++;
    const ok = await runFlowIteration(flowRun, sc, it, compared, isWarmup);
    b.inFlight--;
    c.inFlight--;
    if (stillWarm(isWarmup)) counts.warmupIterations++;
    if (!ok) counts.abandoned += 2;
  };

  /** A probe for target i with its clock started, once the target has a free connection slot. */
  const prepare = (i: 0 | 1, plan: Plan, it: Iteration): StreamProbe | Promise<StreamProbe> => {
    stats.targets[i].inFlight++;
    const wait = slots[i]?.acquire();
    return wait ? wait.then(() => newProbe(i, plan, it)) : newProbe(i, plan, it);
  };

  const newProbe = (i: 0 | 1, plan: Plan, it: Iteration): StreamProbe => {
    const t = targets[i];
    const fixed = fixedParts.get(plan.scenario)![i]!;
    // Headers with placeholders are filled per request (plan.headers); fixed ones were worked out once.
    const headers = plan.headers ? streamHeaders(t.config, plan.headers, cfg.requestIdHeader, plan.requestId) : { ...fixed.headers };
    headers[cfg.requestIdHeader] = plan.requestId;
    const req = {
      target: t.config.name,
      role: t.config.role,
      scenario: plan.scenario.name,
      requestId: plan.requestId,
      iteration: it.iteration,
      vu: it.vu,
      promptIndex: plan.promptIndex,
      expectsCitations: plan.prompt.expectsCitations,
      method: fixed.method,
      path: streamPath(fixed.path, plan),
      headers,
      body: plan.body,
    };
    return new StreamProbe(classifiers[i]!, req, load.timeouts, input.signal);
  };

  /** Sends a prepared probe; the sample comes back with its intended start and dispatch lag, the counters and slot released. */
  const send = (i: 0 | 1, probe: StreamProbe, it: Iteration): Promise<ProbeResult> =>
    probe.run(targets[i].pool).then((s) => {
      const counters = stats.targets[i];
      counters.inFlight--;
      slots[i]?.release();
      stampIntended(s, probe.t0, it.intendedAt);
      if (!s.aborted) recordSample(counters, s);
      return s;
    });
  const start = (i: 0 | 1, p: StreamProbe | Promise<StreamProbe>, it: Iteration) => (p instanceof StreamProbe ? send(i, p, it) : p.then((probe) => send(i, probe, it)));

  /** Not async itself: the scenario's own iteration is the promise the load model awaits (no extra hop per iteration). */
  const iterate = (it: Iteration): Promise<void> => {
    const isWarmup = it.offsetMs < load.warmup;
    counts.iterations++;
    stats.iterations++;
    const picked = pickScenario(loaded.scenarios, it.iteration);
    if (picked.scenario.type !== 'stream') return iterateFlow(picked.scenario, it, isWarmup);
    return iterateStream(picked as { scenario: ResolvedScenario; round: number }, it, isWarmup);
  };

  const iterateStream = async (picked: { scenario: ResolvedScenario; round: number }, it: Iteration, isWarmup: boolean) => {
    const plan = planStream(picked, it.iteration, input.runId);
    // Both requests are dispatched in this tick (unless one waits for a free connection); each
    // probe's clock starts when its own request is handed to its connection. Whoever is sent first
    // goes out first: alternate, so neither side carries that order in every pair (send-order.ts).
    const first = sendOrder(it.iteration, 2)[0] as 0 | 1;
    const second = (1 - first) as 0 | 1;
    const p1 = prepare(first, plan, it);
    const p2 = prepare(second, plan, it);
    const r1 = start(first, p1, it);
    const r2 = start(second, p2, it);
    const s1 = await r1;
    const s2 = await r2;
    const [b, c] = first === 0 ? [s1, s2] : [s2, s1];
    const warm = stillWarm(isWarmup);
    if (warm) counts.warmupIterations++;
    if (b.aborted || c.aborted) {
      counts.abandoned += 2;
      return;
    }
    // Only an interrupted probe carries `aborted`, and those pairs were abandoned above: b and c are plain samples.
    record({ requestId: plan.requestId, scenario: plan.scenario.name, iteration: it.iteration, baseline: b, candidate: c }, warm);
  };

  /** One captured request as a paired iteration (sources/replay/pair.ts), into the same sinks. */
  const iterateReplay = async (it: Iteration, req: CapturedRequest) => {
    counts.iterations++;
    stats.iterations++;
    for (const c of stats.targets) c.inFlight++;
    const replay = input.replay!;
    const comparer = replay.compare && isCompared(it.iteration, replay.compare.share) ? replay.compare.comparer : undefined;
    const r = await replayPair({ targets, runId: input.runId, iteration: it.iteration, requestIdHeader: cfg.requestIdHeader, timeouts: load.timeouts, filters: replay.feed.filters, isStream: replay.isStream, signal: input.signal, req, comparer });
    for (const c of stats.targets) c.inFlight--;
    if (!r) {
      counts.abandoned += 2;
      return;
    }
    // Coordinated omission: latencies count from the recorded (scaled) moment, not from when the harness got to it.
    for (const [s, t0] of [[r.pair.baseline, r.t0[0]], [r.pair.candidate, r.t0[1]]] as const) {
      stampIntended(s, t0, it.intendedAt);
    }
    replay.pacing?.observe(Math.max(r.pair.baseline.dispatchLagMs ?? 0, r.pair.candidate.dispatchLagMs ?? 0));
    recordSample(stats.targets[0], r.pair.baseline);
    recordSample(stats.targets[1], r.pair.candidate);
    record(r.pair, false);
    if (r.readWhole) replay.feed.readWhole(req);
    if (r.compared) endpoints.compared(r.compared.obs, r.compared.diffs, undefined);
  };

  return {
    accumulators,
    async run() {
      eld.enable();
      try {
        const replay = input.replay;
        if (replay) {
          // The schedule's clock starts once the request path is warm and connections are open (runReplay's origin is its first start; a segment's, startAt).
          await warmReplayPath({ targets, timeouts: load.timeouts, requestIdHeader: cfg.requestIdHeader, filters: replay.feed.filters, comparer: replay.compare?.comparer, signal: input.signal });
          await Promise.all(connectors!.map((c, i) => c.open(Math.min(PRECONNECT, targets[i]!.config.connections ?? PRECONNECT))));
        }
        // The schedule starts at startAt in every thread and segment (closed VUs too), not when this
        // shard is ready. Timers may fire a fraction of a millisecond early: wait until it has come.
        while (performance.now() < input.startAt && !input.signal.aborted) {
          await sleep(Math.max(1, input.startAt - performance.now()), undefined, { signal: input.signal }).catch(() => undefined);
        }
        const ctx: LoadContext = {
          signal: input.signal,
          startAt: input.startAt,
          shard,
          claimIteration: input.claimIteration,
          schedulerLag: (ms) => schedulerLag.record(ms),
          idleVus: (n) => (idleVus += n),
          dropped: (iteration, offsetMs) => {
            counts.dropped++;
            stats.dropped++;
            if (offsetMs < load.warmup) return;
            for (const acc of accumulators.get(scenarioFor(loaded.scenarios, iteration).name)!) acc.addDropped();
          },
        };
        if (replay) await runReplay(replay.feed.items(input.signal, shard), replay.maxInFlight, replay.feed.speed === 'max', iterateReplay, ctx);
        else await runLoad(load, iterate, ctx);
      } finally {
        eld.disable();
        ended = true;
        await Promise.all([samples.end(), warmup?.end()]);
        for (const c of connectors ?? []) c.close();
        await Promise.all([...targets, ...(replica ? [replica] : []), ...(counterweight ? [counterweight] : [])].map((t) => t.close())).catch(() => undefined);
      }
    },
    state() {
      // The monitor records each whole timer interval; the delay is what exceeds the resolution.
      const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - ELD_RESOLUTION_MS * 100) / 100);
      return {
        summaries: [...accumulators.values()].flatMap(([b, c]) => [b.toJSON(), c.toJSON()]),
        ...counts,
        schedulerLag: schedulerLag.toJSON(),
        timeline: timeline.toJSON(),
        eventLoopDelayMs: eld.count > 0 ? { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) } : null,
        ...(idleVus > 0 ? { idleVus } : {}),
        ...(hasFlows ? (({ endpoints: e, contracts: c, diffs: d }) => ({ endpoints: e, loadContracts: c.map(withShare), loadDiffs: d }))(endpoints.toJSON()) : {}),
      };
    },
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Whether iteration i is one of the `share` of iterations diffed (0..1): a hash of the iteration
 * number (murmur3's finalizer) below share × 2³², so reruns diff the same iterations, every part
 * of the run is sampled, and the choice is independent of which scenario the mix picked.
 */
export function isCompared(iteration: number, share: number): boolean {
  if (share >= 1) return true;
  let h = iteration >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return h < share * 2 ** 32;
}
