/**
 * What one stream measured. The stream probe makes these; everything downstream (summaries,
 * gates, reports) only reads them. Times are milliseconds from the request start.
 */
export const OUTCOMES = [
  'complete',
  'http_error',
  'connect_error',
  'reset',
  'stalled',
  'no_terminal',
  'error_event',
  'timeout',
  'malformed',
  'truncated',
  // Request and flow scenarios (probes/request-probe.ts, probes/flow-runner.ts): a whole response
  // read (`ok`), a step's assertion that failed, a capture a later step needs that found nothing.
  'ok',
  'assertion_failed',
  'capture_failed',
  // A stream that ended normally (terminal event, normal finish) with no content at all: the user
  // saw an empty answer. Last in the list: the spool stores an outcome by its index.
  'empty',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that end a stream after the backend answered 2xx headers: what users see as a broken answer. */
export const INTERRUPTIONS: readonly Outcome[] = ['reset', 'stalled', 'no_terminal', 'error_event', 'timeout', 'malformed', 'truncated', 'empty'];

/** What counts as a success: a stream that completed, a request answered and every check held. Every other outcome is an error (error_rate). */
export function isSuccess(outcome: Outcome): boolean {
  return outcome === 'complete' || outcome === 'ok';
}

export type Role = 'baseline' | 'candidate';

export interface StreamSample {
  target: string;
  role: Role;
  scenario: string;
  /** Shared by both samples of a pair; sent in the request-id header. */
  requestId: string;
  iteration: number;
  vu: number;
  promptIndex: number;
  expectsCitations: boolean;
  /**
   * Epoch ms, fractional (µs): when the request was handed to its connection — undici's onConnect,
   * right before the request is written to the socket (after any connect or wait for a free
   * connection). Every `*Ms` time of the sample counts from this moment.
   */
  startedAt: number;
  /**
   * When the load model meant the iteration to start (epoch ms, fractional). The request may
   * leave later: the harness fell behind, or it waited for a free connection. Latencies in the
   * summaries count from here, so waiting behind a slow backend is measured (coordinated omission).
   */
  intendedAt?: number;
  /** startedAt − intendedAt, ms (0 when the request left on time). The *Ms fields above count from the send (service time). */
  dispatchLagMs?: number;
  outcome: Outcome;
  status?: number;
  /** Stable error code (`UND_ERR_CONNECT_TIMEOUT`, `PARITY_IDLE_TIMEOUT`, ...) and message, when not complete. */
  error?: { code: string; message: string };
  headersMs?: number;
  firstEventMs?: number;
  /** First event carrying non-empty content text (a role-only or empty chunk does not count). */
  firstContentMs?: number;
  /** Terminal event received. */
  completionMs?: number;
  /** When the probe stopped reading, whatever the outcome. */
  endMs: number;
  /** Gaps between consecutive events. */
  gapsMs: number[];
  events: number;
  contentChunks: number;
  contentChars: number;
  bytes: number;
  citations: number;
  /** Output tokens: the count the stream sent (profile `tokens`), or an estimate (one per content event) marked by `tokensEstimated`. */
  outputTokens?: number;
  tokensEstimated?: boolean;
  /** The finish reason the stream sent (profile `finishReason`); outside the profile's normal set the stream is `truncated`. */
  finishReason?: string;
  /** Inter-token latency: mean time between consecutive content events, the first content excluded (≥ 2 content events). */
  itlMs?: number;
  /** Time per output token: (completion − first content) / (output tokens − 1) (≥ 2 tokens). */
  tpotMs?: number;
  /** Request and flow scenarios: the flow step (absent for a one-request scenario). */
  step?: string;
  /**
   * A request probe's 2xx answer with `content-type: text/event-stream`, read as a whole response:
   * its first content, interruptions and terminal event were not measured (a stream cut short or
   * ending in an error event reads `ok`). Counted per scenario (summaries' `streamsReadWhole`).
   */
  streamReadWhole?: boolean;
  /** Request and flow scenarios: the endpoint as "METHOD /path/:var" (the baseline's route template), for per-endpoint summaries and gates. */
  route?: string;
}

/** What identifies a sample: who sent it, for which scenario, iteration and prompt (none for a request: 0, no citations expected). */
export type SampleIdentity = Pick<StreamSample, 'target' | 'role' | 'scenario' | 'requestId' | 'iteration' | 'vu'> & Partial<Pick<StreamSample, 'promptIndex' | 'expectsCitations'>>;

/**
 * A sample before anything was measured: the identity, zero counts, and the outcome it keeps if
 * nothing goes wrong. Both probes start from it, so their samples have one key order (the order
 * samples.ndjson is written in).
 */
export function freshSample(id: SampleIdentity, startedAt: number, outcome: Outcome): StreamSample {
  return {
    target: id.target,
    role: id.role,
    scenario: id.scenario,
    requestId: id.requestId,
    iteration: id.iteration,
    vu: id.vu,
    promptIndex: id.promptIndex ?? 0,
    expectsCitations: id.expectsCitations ?? false,
    startedAt,
    outcome,
    endMs: 0,
    gapsMs: [],
    events: 0,
    contentChunks: 0,
    contentChars: 0,
    bytes: 0,
    citations: 0,
  };
}

/** TPOT of a stream, from the fields it is defined on (the probe and the spool reader both use this). */
export function tpotOf(s: Pick<StreamSample, 'completionMs' | 'firstContentMs' | 'outputTokens'>): number | undefined {
  if (s.completionMs === undefined || s.firstContentMs === undefined || s.outputTokens === undefined || s.outputTokens < 2) return undefined;
  return Math.round(((s.completionMs - s.firstContentMs) / (s.outputTokens - 1)) * 1000) / 1000;
}

export interface PairedSample {
  requestId: string;
  scenario: string;
  iteration: number;
  /** Request and flow scenarios: as on the samples. */
  step?: string;
  route?: string;
  baseline: StreamSample;
  candidate: StreamSample;
}
