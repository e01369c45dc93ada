import type { TargetSummary } from '../run/result.ts';
import { INTERRUPTIONS, OUTCOMES, type Outcome, type Role, type StreamSample } from './sample.ts';
import { percentiles } from './percentiles.ts';
import { cdf, histogram } from './distribution.ts';

/** Summarizes one target's samples for one scenario. Pure: the same samples give the same summary. */
export function summarize(target: string, role: Role, scenario: string, samples: readonly StreamSample[]): TargetSummary {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const headers: number[] = [];
  const firstEvent: number[] = [];
  const firstContent: number[] = [];
  const completion: number[] = [];
  const gaps: number[] = [];
  const charsPerSec: number[] = [];
  let withHeaders = 0;
  let interrupted = 0;
  let http5xx = 0;
  let expected = 0;
  let present = 0;
  let bytes = 0;
  let chars = 0;
  for (const s of samples) {
    outcomes[s.outcome]++;
    bytes += s.bytes;
    chars += s.contentChars;
    if (s.status !== undefined && s.status >= 500) http5xx++;
    if (s.headersMs !== undefined) headers.push(s.headersMs);
    if (s.status !== undefined && s.status >= 200 && s.status < 300) {
      withHeaders++;
      if (INTERRUPTIONS.includes(s.outcome)) interrupted++;
    }
    if (s.firstEventMs !== undefined) firstEvent.push(s.firstEventMs);
    if (s.firstContentMs !== undefined) firstContent.push(s.firstContentMs);
    if (s.outcome === 'complete' && s.completionMs !== undefined) {
      completion.push(s.completionMs);
      const span = s.completionMs - (s.firstContentMs ?? s.completionMs);
      if (span > 0) charsPerSec.push((s.contentChars / span) * 1000);
    }
    for (const g of s.gapsMs) gaps.push(g);
    // Presence is judged on streams that completed: an interrupted stream is counted once, as an interruption.
    if (s.expectsCitations && s.outcome === 'complete') {
      expected++;
      if (s.citations > 0) present++;
    }
  }
  const n = samples.length;
  const rate = (k: number, d: number) => (d === 0 ? 0 : k / d);
  return {
    target,
    role,
    scenario,
    count: n,
    outcomes,
    outcomeRates: Object.fromEntries(OUTCOMES.map((o) => [o, rate(outcomes[o], n)])),
    errorRate: rate(n - outcomes.complete, n),
    http5xxRate: rate(http5xx, n),
    interruptionRate: rate(interrupted, withHeaders),
    streamsWithHeaders: withHeaders,
    headersMs: percentiles(headers),
    firstEventMs: percentiles(firstEvent),
    firstContentMs: percentiles(firstContent),
    completionMs: percentiles(completion),
    gapMs: percentiles(gaps),
    contentCharsPerSec: percentiles(charsPerSec),
    citations: { expected, present, presenceRate: expected === 0 ? null : present / expected },
    bytes,
    contentChars: chars,
    cdf: { firstContentMs: cdf(firstContent), completionMs: cdf(completion) },
    gapHistogram: histogram(gaps),
  };
}
