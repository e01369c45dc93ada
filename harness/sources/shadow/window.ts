import { createReadStream, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../../output/atomic.ts';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { redactedConfig, type LoadedConfig } from '../../config/load.ts';
import { harnessHealth } from '../../load/health.ts';
import { Histogram } from '../../metrics/histogram.ts';
import type { ServerMetricsResult } from '../../metrics/server/result.ts';
import { startServerMetrics, type ServerMetricsSession } from '../../metrics/server/session.ts';
import type { PairedSample } from '../../metrics/sample.ts';
import { SummaryAccumulator } from '../../metrics/summary.ts';
import { TimelineAccumulator } from '../../metrics/timeline.ts';
import { RUN_SCHEMA_VERSION, type RunResult } from '../../run/result.ts';
import { SampleSpool } from '../../run/sample-spool.ts';
import { Scrubber } from '../../secrets/scrubber.ts';
import { toolInfo } from '../../version.ts';

/** Copies the candidate could not take, as a share of the copies made, beyond which a window is not judged on a fair sample. */
export const DROP_WARNING_SHARE = 0.05;

export interface WindowCounts {
  /** Live requests seen (all of them, compared or not). */
  requests: number;
  /** Requests with no compared route (passed through, never copied). */
  unmatched: number;
  /** Requests of a write route without `allowWrites` (never copied). */
  unsafe: number;
  /** Requests left out by `sample`. */
  sampledOut: number;
  /** Copies the candidate's concurrency and queue could not take: dropped, counted. */
  dropped: number;
  /** Copies of the window's requests still in flight when it was judged (the shadow stopped, or past the wait for them): not measured. */
  abandoned: number;
  /** Body rewrites that found no field to prefix. */
  rewriteMissed: number;
  /** Compared responses that were SSE streams read whole (an `auto` route whose request did not accept text/event-stream). */
  streamsReadWhole: number;
  /** Inline: copies sent without the user's credentials (dropHeaders) that the candidate refused (401/403) where the baseline answered: not compared. */
  refusedUncredentialed: number;
  /** Inline: requests whose client closed the connection before the baseline's answer was done: the baseline's response cut by the user, not compared. */
  clientClosed: number;
  /** Of those, the copies the candidate failed (not compared: the window cannot pass). */
  clientClosedFailed: number;
  /** Requests on compared routes whose body was over shadow.maxCopyBody: never copied (the window cannot pass). */
  tooLarge: number;
}

/**
 * One shadow window: the same sinks as a load run (summaries per route and target, timeline,
 * samples spooled to disk), closed into a run directory with its run.json, so `parity gate`,
 * `parity report` and `parity trend` read a window like any run. Memory stays flat: histograms
 * are bounded and samples go to disk. The config's server-side metrics (Prometheus, /metrics,
 * JSON) are read over the window's own time range, from its opening to its close, and stored in
 * its run.json (`serverMetrics`) before it is judged, as `parity run` stores them for its load.
 */
export class ShadowWindow {
  readonly counts: WindowCounts = { requests: 0, unmatched: 0, unsafe: 0, sampledOut: 0, dropped: 0, abandoned: 0, rewriteMissed: 0, streamsReadWhole: 0, refusedUncredentialed: 0, clientClosed: 0, clientClosedFailed: 0, tooLarge: 0 };
  /** The routes of `streamsReadWhole`, for the warning's fix. */
  private readonly readWholeRoutes = new Set<string>();
  pairs = 0;
  readonly startedAt = new Date();
  private readonly acc = new Map<string, [SummaryAccumulator, SummaryAccumulator]>();
  private readonly timeline = new TimelineAccumulator();
  private readonly spool: SampleSpool;
  private readonly eld = monitorEventLoopDelay({ resolution: 10 });
  private readonly t0 = Date.now();
  /** Closed windows' samples files, appended to this one's at close (the cumulative view). */
  private readonly sampleFiles: string[] = [];
  /** Reading the server-side series since the window opened; null when the config has none. */
  private readonly server: ServerMetricsSession | null;
  private serverMetrics: ServerMetricsResult | undefined;
  /** When close() began: the window's end (reading its server-side series takes longer). */
  private closedAt: number | undefined;
  /** Copies of this window's requests sent and not yet both measured (their pair comes to this window, whenever it ends). */
  private pending = 0;
  private settled: (() => void) | undefined;

  constructor(
    readonly index: number,
    readonly dir: string,
    private readonly loaded: LoadedConfig,
    private readonly mode: 'inline' | 'mirror',
    private readonly windowMs: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.spool = new SampleSpool(path.join(dir, 'samples.ndjson'));
    this.eld.enable();
    this.server = startServerMetrics(loaded);
  }

  /** Takes in a measured pair; false when the window is already closed (the pair is not measured). */
  add(pair: PairedSample): boolean {
    // A pair that finishes after the last window closed was counted abandoned when the server
    // stopped waiting for it (counts.abandoned): not measured, and its spool is already the
    // window's samples.ndjson (writing would start a second spool beside it).
    if (this.closedAt !== undefined) return false;
    this.pairs++;
    this.spool.write(pair);
    const [b, c] = this.accumulators(pair.scenario);
    b.add(pair.baseline);
    c.add(pair.candidate);
    this.timeline.add(pair.baseline);
    this.timeline.add(pair.candidate);
    return true;
  }

  /** A copy of a request that arrived in this window went out: its pair (or its drop) belongs here. */
  sent(): void {
    this.pending++;
  }

  /** A copy of this window's went through (measured, refused or dropped). */
  finished(): void {
    if (--this.pending === 0) this.settled?.();
  }

  /**
   * Waits (up to `graceMs`) until every copy of this window's requests is measured, so the window
   * is judged on its own requests, slow ones included; those still in flight then are counted
   * abandoned (not measured: the window cannot pass).
   */
  async settle(graceMs: number): Promise<void> {
    if (this.pending > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((resolve) => (this.settled = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      this.settled = undefined;
    }
    this.counts.abandoned += Math.max(0, this.pending);
  }

  private accumulators(route: string): [SummaryAccumulator, SummaryAccumulator] {
    let a = this.acc.get(route);
    if (!a) {
      a = [new SummaryAccumulator(this.loaded.baseline.name, 'baseline', route), new SummaryAccumulator(this.loaded.candidate.name, 'candidate', route)];
      this.acc.set(route, a);
    }
    return a;
  }

  /**
   * Takes in a closed window (the cumulative view): its summaries, timeline and counts merged
   * exactly (the histograms merge as worker threads' do), its samples appended to this one's file
   * when this one closes. Each pair is handled once, in its own window.
   */
  absorb(w: ShadowWindow): void {
    this.pairs += w.pairs;
    for (const k of Object.keys(this.counts) as (keyof WindowCounts)[]) this.counts[k] += w.counts[k];
    for (const r of w.readWholeRoutes) this.readWholeRoutes.add(r);
    for (const [route, [b, c]] of w.acc) {
      const [mb, mc] = this.accumulators(route);
      mb.merge(b);
      mc.merge(c);
    }
    this.timeline.merge(w.timeline.toJSON());
    this.sampleFiles.push(path.join(w.dir, 'samples.ndjson'));
  }

  /** A compared response on `route` was an SSE stream read as a whole response (either sample's streamReadWhole). */
  streamReadWhole(route: string): void {
    this.counts.streamsReadWhole++;
    this.readWholeRoutes.add(route);
  }

  /** run.json as it stands (also for the live /verdict and the early-abort check). */
  result(endedAt: string | null, incompleteReason?: string): RunResult {
    const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - 1000) / 100);
    const health = harnessHealth([{ schedulerLag: new Histogram().toJSON(), eventLoopDelayMs: this.eld.count > 0 ? { p50: ms(this.eld.percentile(50)), p99: ms(this.eld.percentile(99)), max: ms(this.eld.max) } : null }]);
    const copies = this.pairs + this.counts.dropped + this.counts.abandoned;
    if (copies > 0 && this.counts.dropped / copies > DROP_WARNING_SHARE) {
      health.warnings.push(
        `${this.counts.dropped} of ${copies} copies (${((100 * this.counts.dropped) / copies).toFixed(1)}%) dropped at the candidate's concurrency cap (shadow.candidate): the compared pairs are not a fair sample; raise shadow.candidate.concurrency/queue or lower shadow.sample`,
      );
    }
    if (this.counts.abandoned > 0 && incompleteReason === undefined) {
      const n = this.counts.abandoned;
      health.warnings.push(
        `${n} cop${n === 1 ? 'y' : 'ies'} of this window's requests ${n === 1 ? 'was' : 'were'} still in flight when it was judged (abandoned): not measured, so the window is not judged on all its requests (a candidate slow to fail would pass on its fast answers)`,
      );
    }
    if (this.counts.tooLarge > 0) {
      const n = this.counts.tooLarge;
      health.warnings.push(
        `${n} request${n === 1 ? '' : 's'} on compared routes had a body over shadow.maxCopyBody (${this.loaded.config.shadow?.maxCopyBody ?? 1024 * 1024} bytes) and ${n === 1 ? 'was' : 'were'} never copied: the candidate was not compared on them (an upload route would never be); raise shadow.maxCopyBody, or leave the route out of shadow.routes`,
      );
    }
    if (this.counts.clientClosedFailed > 0) {
      const n = this.counts.clientClosedFailed;
      health.warnings.push(
        `${n} of ${this.counts.clientClosed} cop${this.counts.clientClosed === 1 ? 'y' : 'ies'} whose user went away before the baseline's answer was done failed on the candidate: not compared (the baseline's answer was cut by the user), so these failures are judged by no gate`,
      );
    }
    if (this.counts.streamsReadWhole > 0) {
      const routes = [...this.readWholeRoutes];
      health.warnings.push(
        `${this.counts.streamsReadWhole} compared response${this.counts.streamsReadWhole === 1 ? ' was an SSE stream' : 's were SSE streams'} read as whole responses (route${routes.length === 1 ? '' : 's'} ${routes.join(', ')}: read by the request probe, as kind request or as kind auto when the request did not accept text/event-stream): first content, interruptions and the terminal event were not measured, so a stream cut short read as ok; set shadow.routes.${routes[0]}.kind: stream`,
      );
    }
    if (this.counts.refusedUncredentialed > 0) {
      const n = this.counts.refusedUncredentialed;
      health.warnings.push(
        `${n} cop${n === 1 ? 'y' : 'ies'} sent without the user's credentials (shadow.dropHeaders) ${n === 1 ? 'was' : 'were'} refused by the candidate (401/403) where the baseline answered the user: not the same request, so not compared; give the candidate's copies a credential of their own (targets[].headers) or copy the users' (shadow.allowHeaders)`,
      );
    }
    const config = redactedConfig(this.loaded) as Record<string, unknown>;
    const r: RunResult = {
      schemaVersion: RUN_SCHEMA_VERSION,
      tool: toolInfo(),
      runId: path.basename(path.dirname(path.dirname(this.dir))) + `-w${this.index}`,
      name: `${this.loaded.config.name} (shadow window ${this.index})`,
      configFile: this.loaded.file,
      startedAt: this.startedAt.toISOString(),
      endedAt,
      complete: incompleteReason === undefined,
      // The routes compared play the scenarios' part: route-scoped gates read them.
      config: { ...config, scenarios: [...this.acc.keys()].map((route) => ({ name: route, route })) },
      targets: [this.loaded.baseline, this.loaded.candidate].map((t) => ({ name: t.name, role: t.role, baseUrl: t.baseUrl })),
      preflight: [],
      load: {
        model: `shadow-${this.mode}`,
        plannedIterations: null,
        plannedDurationMs: this.windowMs,
        iterations: this.pairs,
        abandoned: this.counts.abandoned,
        durationMs: (this.closedAt ?? Date.now()) - this.t0,
        dropped: this.counts.dropped,
      },
      summaries: [...this.acc].map(([scenario, [b, c]]) => ({ scenario, baseline: b.summary(), candidate: c.summary() })),
      samples: { file: 'samples.ndjson', pairs: this.pairs },
      timeline: this.timeline.timeline([this.loaded.baseline, this.loaded.candidate]),
      harness: health,
      shadow: { mode: this.mode, window: this.index, ...this.counts },
    };
    if (incompleteReason !== undefined) r.incompleteReason = incompleteReason;
    // Only a closed window has them: a gate on them is inconclusive while the window runs.
    if (this.serverMetrics) r.serverMetrics = this.serverMetrics;
    return r;
  }

  /** Ends the window: samples to NDJSON, run.json written (temp file + rename). Returns run.json's path and the result. */
  async close(incompleteReason?: string): Promise<{ runJson: string; result: RunResult }> {
    this.closedAt = Date.now();
    this.eld.disable();
    // The window's range ends here (stop() then waits for Prometheus' last scrape of it, `settle`).
    this.serverMetrics = (await this.server?.stop()) ?? undefined;
    await this.spool.end();
    if (this.sampleFiles.length) {
      // One file handle, each window's file streamed onto it in turn (a pipeline per file onto one
      // write stream left its listeners behind, one set per window).
      const out = await open(path.join(this.dir, 'samples.ndjson'), 'a');
      try {
        for (const f of this.sampleFiles) for await (const chunk of createReadStream(f)) await out.write(chunk as Buffer);
      } finally {
        await out.close();
      }
    }
    const result = this.result(new Date(this.closedAt).toISOString(), incompleteReason);
    const runJson = path.join(this.dir, 'run.json');
    await writeFileAtomic(runJson, JSON.stringify(new Scrubber(this.loaded.secrets).scrubDeep(result), null, 2) + '\n');
    return { runJson, result };
  }
}


