import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isSuccess, type PairedSample, type StreamSample } from '../../metrics/sample.ts';
import type { RolloutState, WindowStatus } from './rollout.ts';

/** What the controller endpoints answer from: the shadow's state, read at each request. */
export interface AdminState {
  rollout: RolloutState;
  /** The last closed window's verdict, if any. */
  lastWindow: { index: number; status: WindowStatus; reasons: string[]; runJson: string } | null;
  /** The open window: index, pairs so far, when it started. */
  current: { index: number; pairs: number; startedAt: string };
}

export interface AdminServer {
  url: string;
  /** Feed a measured pair into the exposition's histograms and counters. */
  observe(pair: PairedSample): void;
  observeDropped(): void;
  observeWindow(status: WindowStatus, consecutiveFailures: number): void;
  close(): Promise<void>;
}

/** The admin port's endpoints (deploy/shadow/ examples point at these). */
export const ADMIN_ENDPOINTS = ['/verdict', '/metrics', '/pre-rollout', '/rollout', '/rollback', '/confirm-promotion'] as const;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const WINDOW_CODE: Record<WindowStatus, number> = { pass: 1, inconclusive: 0, fail: -1 };

/**
 * The shadow's controller endpoints, on their own port (never on the traffic listener):
 * - `GET /verdict`: JSON for Argo Rollouts' web metric provider (`status`: gathering | pass | fail
 *   | inconclusive, the rollout decision, counts).
 * - `GET /metrics`: Prometheus text exposition (prom-client): per-target latency histograms,
 *   outcome counters, dropped copies, the last window's status.
 * - Flagger webhooks: `POST /pre-rollout` and `/rollout` answer 200 while the shadow is gathering
 *   or passing and 503 once a window failed (or the decision is rollback); `/rollback` answers 200
 *   only when parity decided to roll back (Flagger then stops and fails the canary), 412 otherwise;
 *   `/confirm-promotion` answers 200 only once parity decided to promote.
 */
export async function startAdmin(state: () => AdminState, listen: { host: string; port: number }): Promise<AdminServer> {
  const registry = new Registry();
  const labels = ['target', 'role', 'route'] as const;
  const firstContent = new Histogram({ name: 'parity_shadow_first_content_seconds', help: 'Time to first content per stream, by target', labelNames: labels, buckets: LATENCY_BUCKETS, registers: [registry] });
  const completion = new Histogram({ name: 'parity_shadow_completion_seconds', help: 'Time to the whole response per successful one (a stream\'s terminal event, a request\'s last byte), by target', labelNames: labels, buckets: LATENCY_BUCKETS, registers: [registry] });
  const outcomes = new Counter({ name: 'parity_shadow_streams_total', help: 'Compared streams and requests by target and outcome', labelNames: [...labels, 'outcome'], registers: [registry] });
  const dropped = new Counter({ name: 'parity_shadow_copies_dropped_total', help: 'Copies dropped at the candidate concurrency cap', registers: [registry] });
  const windows = new Counter({ name: 'parity_shadow_windows_total', help: 'Judged windows by verdict', labelNames: ['status'], registers: [registry] });
  const lastWindow = new Gauge({ name: 'parity_shadow_last_window_status', help: 'Last judged window: 1 pass, 0 inconclusive or none yet, -1 fail', registers: [registry] });
  const failures = new Gauge({ name: 'parity_shadow_consecutive_failed_windows', help: 'Failing windows in a row', registers: [registry] });
  lastWindow.set(0);
  failures.set(0);

  const observeSample = (s: StreamSample) => {
    const l = { target: s.target, role: s.role, route: s.scenario };
    outcomes.inc({ ...l, outcome: s.outcome });
    if (s.firstContentMs !== undefined) firstContent.observe(l, s.firstContentMs / 1000);
    // Streams end `complete`, requests `ok` (isSuccess): both have a whole-response time.
    if (isSuccess(s.outcome) && s.completionMs !== undefined) completion.observe(l, s.completionMs / 1000);
  };

  const failing = (st: AdminState) => st.rollout.decision === 'rollback' || st.lastWindow?.status === 'fail';
  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const st = state();
    const summary = {
      status: st.lastWindow ? st.lastWindow.status : 'gathering',
      decision: st.rollout.decision,
      windows: st.rollout.windows,
      consecutiveFailures: st.rollout.consecutiveFailures,
      consecutivePasses: st.rollout.consecutivePasses,
      lastWindow: st.lastWindow,
      current: st.current,
    };
    req.resume();
    switch (url.pathname) {
      case '/verdict':
        return send(res, 200, summary);
      case '/metrics':
        void registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        });
        return;
      case '/pre-rollout':
      case '/rollout':
        return send(res, failing(st) ? 503 : 200, summary);
      case '/rollback':
        return send(res, st.rollout.decision === 'rollback' ? 200 : 412, summary);
      case '/confirm-promotion':
        return send(res, st.rollout.decision === 'promote' ? 200 : 403, summary);
      default:
        return send(res, 404, { error: `unknown endpoint ${url.pathname}; try /verdict, /metrics, /pre-rollout, /rollout, /rollback, /confirm-promotion` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${listen.host}:${port}`,
    observe(pair) {
      observeSample(pair.baseline);
      observeSample(pair.candidate);
    },
    observeDropped: () => dropped.inc(),
    observeWindow(status, consecutive) {
      windows.inc({ status });
      lastWindow.set(WINDOW_CODE[status]);
      failures.set(consecutive);
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
