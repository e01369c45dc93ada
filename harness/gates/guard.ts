import type { ConfigIssue } from '../errors.ts';
import { isSuccess } from '../metrics/sample.ts';
import { METRICS, type GatePair } from './metrics.ts';
import { thresholdFor, ThresholdError, type Threshold } from './threshold.ts';

/**
 * The failed-requests guard: the one rule that keeps a failing candidate from passing, whatever a
 * policy says about latency.
 *
 * Latency percentiles read the streams that produced the value (completion: completed streams), so
 * a candidate failing every second request can look as fast as its baseline. Instead of reshaping
 * every latency metric, every policy ends with one implicit `fail` gate, `failed-requests`:
 *
 *   error_rate (streams that did not complete, in any way: HTTP error, connect error, reset, stall,
 *   no terminal event, error event, timeout, malformed) candidate − baseline <= +0.5pp
 *
 * judged like any rate gate (Newcombe interval over the paired streams, minSamples, inconclusive
 * when the interval straddles), with one exception: when the candidate failed no more streams than
 * the baseline in the same pairs there is no hidden failure to find, and the guard passes (the
 * policy's own gates still decide). A policy may change the margin (`failedRequests: "<= +2pp"`),
 * inherited through `extends`, but cannot remove the guard: the verdict is never blind to failures.
 */
export const GUARD_ID = 'failed-requests';
export const GUARD_DEFAULT = '<= +0.5pp';
export const GUARD_SOURCE = 'parity: a failed request is never invisible to the verdict (implicit on every policy)';

/** Parses a policy's `failedRequests` margin: only a delta on error_rate, `<=` or `<`, in pp. */
export function guardThreshold(text: string, issues: ConfigIssue[]): Threshold | null {
  const fix = 'write a margin over the baseline\'s error rate such as "<= +0.5pp" (the default) or "<= +2pp"';
  let t: Threshold;
  try {
    t = thresholdFor(text, METRICS.get('error_rate')!);
  } catch (err) {
    if (!(err instanceof ThresholdError)) throw err;
    issues.push({ path: 'failedRequests', message: `${err.message}; ${fix}` });
    return null;
  }
  if (t.comparison !== 'delta' || t.floor || (t.op !== '<=' && t.op !== '<')) {
    issues.push({ path: 'failedRequests', message: `"${text}" is not a margin over the baseline; the guard cannot be removed or turned around, ${fix}` });
    return null;
  }
  if (t.limit < 0 || t.limit > 1) {
    issues.push({ path: 'failedRequests', message: `"${text}": the margin must be from 0pp to 100pp; ${fix}` });
    return null;
  }
  return t;
}

/** Streams that did not complete and requests that were not answered `ok`, per side, over the given pairs. */
export function failedCounts(pairs: readonly GatePair[]): { baseline: number; candidate: number } {
  let baseline = 0;
  let candidate = 0;
  for (const p of pairs) {
    if (!isSuccess(p.baseline.outcome)) baseline++;
    if (!isSuccess(p.candidate.outcome)) candidate++;
  }
  return { baseline, candidate };
}

/**
 * Requests that failed on the server's side (a 5xx, or no HTTP answer: refused, reset, timeout,
 * broken stream), per side: a 4xx is the backend's answer to the request (not found, refused),
 * and both sides failing a request are alike only when they fail alike (a 404 against a 500 is not).
 */
export function serverFailedCounts(pairs: readonly GatePair[]): { baseline: number; candidate: number } {
  const server = (s: GatePair['baseline']) => !isSuccess(s.outcome) && !(s.status !== undefined && s.status !== null && s.status >= 400 && s.status < 500);
  let baseline = 0;
  let candidate = 0;
  for (const p of pairs) {
    if (server(p.baseline)) baseline++;
    if (server(p.candidate)) candidate++;
  }
  return { baseline, candidate };
}

/**
 * Why a scope's baseline is no reference, or undefined: it failed more than half of the scope's
 * requests. Compared with a baseline that mostly fails, a candidate is measured against failures,
 * not against the old backend's answers: both sides answering 401 to requests without credentials
 * (a replayed HAR, copies whose authorization was dropped), 404 to a wrong base path, or refusing
 * connections agree, so every ratio, delta and the guard would pass on a run that judged nothing.
 */
export function baselineMostlyFailed(pairs: readonly GatePair[]): string | undefined {
  const kinds = new Map<string, number>();
  let k = 0;
  for (const p of pairs) {
    if (isSuccess(p.baseline.outcome)) continue;
    k++;
    const kind = p.baseline.status !== undefined && p.baseline.status !== null && p.baseline.status > 0 ? `${p.baseline.outcome} ${p.baseline.status}` : p.baseline.outcome;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  if (pairs.length === 0 || k * 2 <= pairs.length) return undefined;
  const top = [...kinds].sort((a, b) => b[1] - a[1]);
  const said = top.slice(0, 3).map(([kind, n]) => `${kind} ×${n}`).join(', ') + (top.length > 3 ? ', …' : '');
  return `the baseline failed ${k} of ${pairs.length} requests here (${said}), so the candidate was compared with failures, not with the baseline's answers; check the requests' credentials (targets[].headers; a shadow copies its users' only with shadow.allowHeaders), paths and the baseline's health, and run again`;
}

/**
 * Why a contract drift count has no reference, or undefined: the baseline failed more than half of
 * the compared pairs (`failed` of `pairs`; run.contracts[].baselineFailed). Drift is the candidate's
 * answers against the baseline's; two 401s to a token neither backend accepts compare identical, so
 * `contract_drift <= 0` passed a candidate whose answers were never compared with one.
 */
export function baselineFailedCompared(failed: number, pairs: number): string | undefined {
  if (pairs === 0 || failed * 2 <= pairs) return undefined;
  return `the baseline failed ${failed} of ${pairs} compared pairs here (no answer, or an error status the step does not expect), so the candidate's answers were compared with failures, not with the baseline's answers; check the requests' credentials (targets[].headers, the steps' headers), paths and the baseline's health, and run again`;
}
