import type { TargetSummary } from '../run/result.ts';
import { Histogram, type HistogramJSON } from './histogram.ts';
import { INTERRUPTIONS, isSuccess, OUTCOMES, type Outcome, type Role, type StreamSample } from './sample.ts';
import { histogramOf } from './distribution.ts';

const LATENCIES = ['headersMs', 'firstEventMs', 'firstContentMs', 'completionMs'] as const;
const HISTOGRAMS = [...LATENCIES, ...LATENCIES.map((k) => `service.${k}` as const), 'gapMs', 'contentCharsPerSec', 'dispatchLagMs', 'itlMs', 'tpotMs', 'outputTokensPerSec'] as const;
type HistogramName = (typeof HISTOGRAMS)[number];

const COUNTERS = ['count', 'withHeaders', 'interrupted', 'http5xx', 'expected', 'present', 'bytes', 'chars', 'dropped', 'tokens', 'tokensEstimated', 'http2xx', 'http3xx', 'http4xx', 'readWhole'] as const;
type CounterName = (typeof COUNTERS)[number];

const INTERRUPTING: ReadonlySet<Outcome> = new Set(INTERRUPTIONS);

/** An accumulator's state as plain data, to cross from a worker thread to the run. */
export interface SummaryStateJSON {
  target: string;
  role: Role;
  scenario: string;
  outcomes: Record<Outcome, number>;
  counters: Record<CounterName, number>;
  histograms: Record<HistogramName, HistogramJSON>;
}

/**
 * One target's summary for one scenario, fed a sample at a time: bounded memory (histograms and
 * counters, never the samples), mergeable across worker threads, and the same numbers whatever
 * order the samples come in. Latencies count from the iteration's intended start (send time plus
 * dispatch lag); the same latencies from the send are kept as service time.
 */
export class SummaryAccumulator {
  readonly outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  readonly histograms = Object.fromEntries(HISTOGRAMS.map((h) => [h, new Histogram()])) as Record<HistogramName, Histogram>;

  constructor(
    readonly target: string,
    readonly role: Role,
    readonly scenario: string,
  ) {}

  add(s: StreamSample): void {
    const c = this.counters;
    const h = this.histograms;
    const lag = s.dispatchLagMs ?? 0;
    this.outcomes[s.outcome]++;
    c.count++;
    c.bytes += s.bytes;
    c.chars += s.contentChars;
    if (s.status !== undefined) {
      if (s.status >= 500) c.http5xx++;
      else if (s.status >= 400) c.http4xx++;
      else if (s.status >= 300) c.http3xx++;
      else if (s.status >= 200) c.http2xx++;
    }
    if (s.status !== undefined && s.status >= 200 && s.status < 300) {
      c.withHeaders++;
      if (s.streamReadWhole) c.readWhole++;
      if (INTERRUPTING.has(s.outcome)) c.interrupted++;
    }
    if (s.headersMs !== undefined) {
      h.headersMs.record(s.headersMs + lag);
      h['service.headersMs'].record(s.headersMs);
    }
    if (s.firstEventMs !== undefined) {
      h.firstEventMs.record(s.firstEventMs + lag);
      h['service.firstEventMs'].record(s.firstEventMs);
    }
    if (s.firstContentMs !== undefined) {
      h.firstContentMs.record(s.firstContentMs + lag);
      h['service.firstContentMs'].record(s.firstContentMs);
    }
    // A stream's terminal event, or a request's last byte (outcome `ok`): the whole answer.
    if (isSuccess(s.outcome) && s.completionMs !== undefined) {
      h.completionMs.record(s.completionMs + lag);
      h['service.completionMs'].record(s.completionMs);
      const span = s.completionMs - (s.firstContentMs ?? s.completionMs);
      if (span > 0) h.contentCharsPerSec.record((s.contentChars / span) * 1000);
      if (s.itlMs !== undefined) h.itlMs.record(s.itlMs);
      if (s.tpotMs !== undefined) h.tpotMs.record(s.tpotMs);
      const tps = tokensPerSec(s);
      if (tps !== undefined) h.outputTokensPerSec.record(tps);
    }
    if (s.outputTokens !== undefined) {
      c.tokens += s.outputTokens;
      if (s.tokensEstimated) c.tokensEstimated++;
    }
    for (const g of s.gapsMs) h.gapMs.record(g);
    if (s.dispatchLagMs !== undefined) h.dispatchLagMs.record(s.dispatchLagMs);
    // Presence is judged on streams that completed: an interrupted stream is counted once, as an interruption.
    if (s.expectsCitations && s.outcome === 'complete') {
      c.expected++;
      if (s.citations > 0) c.present++;
    }
  }

  /** A scheduled iteration of this scenario that never started (maxInFlight reached). */
  addDropped(n = 1): void {
    this.counters.dropped += n;
  }

  merge(other: SummaryAccumulator | SummaryStateJSON): void {
    for (const o of OUTCOMES) this.outcomes[o] += other.outcomes[o] ?? 0;
    // `?? 0` / `if`: a state from a shard of an older build may lack the newer counters and histograms.
    for (const c of COUNTERS) this.counters[c] += other.counters[c] ?? 0;
    for (const h of HISTOGRAMS) if (other.histograms[h]) this.histograms[h].merge(other.histograms[h]);
  }

  toJSON(): SummaryStateJSON {
    return {
      target: this.target,
      role: this.role,
      scenario: this.scenario,
      outcomes: { ...this.outcomes },
      counters: { ...this.counters },
      histograms: Object.fromEntries(HISTOGRAMS.map((h) => [h, this.histograms[h].toJSON()])) as Record<HistogramName, HistogramJSON>,
    };
  }

  summary(): TargetSummary {
    const { count: n, withHeaders, interrupted, http5xx, expected, present } = this.counters;
    const rate = (k: number, d: number) => (d === 0 ? 0 : k / d);
    const p = (k: HistogramName) => this.histograms[k].percentiles();
    return {
      target: this.target,
      role: this.role,
      scenario: this.scenario,
      count: n,
      outcomes: { ...this.outcomes },
      outcomeRates: Object.fromEntries(OUTCOMES.map((o) => [o, rate(this.outcomes[o], n)])),
      errorRate: rate(n - this.outcomes.complete - this.outcomes.ok, n),
      http5xxRate: rate(http5xx, n),
      interruptionRate: rate(interrupted, withHeaders),
      streamsWithHeaders: withHeaders,
      headersMs: p('headersMs'),
      firstEventMs: p('firstEventMs'),
      firstContentMs: p('firstContentMs'),
      completionMs: p('completionMs'),
      gapMs: p('gapMs'),
      contentCharsPerSec: p('contentCharsPerSec'),
      citations: { expected, present, presenceRate: expected === 0 ? null : present / expected },
      bytes: this.counters.bytes,
      contentChars: this.counters.chars,
      serviceTime: {
        headersMs: p('service.headersMs'),
        firstEventMs: p('service.firstEventMs'),
        firstContentMs: p('service.firstContentMs'),
        completionMs: p('service.completionMs'),
      },
      dispatchLagMs: p('dispatchLagMs'),
      dropped: this.counters.dropped,
      cdf: {
        firstContentMs: this.histograms.firstContentMs.cdf(),
        completionMs: this.histograms.completionMs.cdf(),
        itlMs: this.histograms.itlMs.cdf(),
        tpotMs: this.histograms.tpotMs.cdf(),
      },
      itlMs: p('itlMs'),
      tpotMs: p('tpotMs'),
      outputTokensPerSec: p('outputTokensPerSec'),
      outputTokens: { total: this.counters.tokens, estimatedStreams: this.counters.tokensEstimated },
      gapHistogram: histogramOf(this.histograms.gapMs.entries()),
      statusClasses: { '2xx': this.counters.http2xx, '3xx': this.counters.http3xx, '4xx': this.counters.http4xx, '5xx': http5xx },
      ...(this.counters.readWhole ? { streamsReadWhole: this.counters.readWhole } : {}),
    };
  }
}

/** Output tokens per second of a complete stream, from first content to completion (as content chars/s). */
export function tokensPerSec(s: Pick<StreamSample, 'completionMs' | 'firstContentMs' | 'outputTokens'>): number | undefined {
  if (s.completionMs === undefined || s.firstContentMs === undefined || s.outputTokens === undefined) return undefined;
  const span = s.completionMs - s.firstContentMs;
  return span > 0 ? (s.outputTokens / span) * 1000 : undefined;
}

/** Summarizes one target's samples for one scenario. Pure: the same samples give the same summary. */
export function summarize(target: string, role: Role, scenario: string, samples: Iterable<StreamSample>): TargetSummary {
  const acc = new SummaryAccumulator(target, role, scenario);
  for (const s of samples) acc.add(s);
  return acc.summary();
}
