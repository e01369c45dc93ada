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
  // Request and flow scenarios (probes/request-probe.ts, probes/flow-runner.ts): a whole response
  // read (`ok`), a step's assertion that failed, a capture a later step needs that found nothing.
  'ok',
  'assertion_failed',
  'capture_failed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that end a stream after the backend answered 2xx headers: what users see as a broken answer. */
export const INTERRUPTIONS: readonly Outcome[] = ['reset', 'stalled', 'no_terminal', 'error_event', 'timeout', 'malformed'];

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
  /** Wall-clock start (epoch ms): when the request was sent. */
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
  /** Request and flow scenarios: the flow step (absent for a one-request scenario). */
  step?: string;
  /** Request and flow scenarios: the endpoint as "METHOD /path/:var" (the baseline's route template), for per-endpoint summaries and gates. */
  route?: string;
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
