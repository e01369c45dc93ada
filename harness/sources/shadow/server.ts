import { isUtf8 } from 'node:buffer';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { streamScenarios, type LoadedConfig } from '../../config/load.ts';
import type { TimeoutsConfig } from '../../config/schema.ts';
import type { ShadowConfig } from '../../config/shadow-schema.ts';
import { isSuccess, type PairedSample, type Role, type StreamSample } from '../../metrics/sample.ts';
import { RequestProbe } from '../../probes/request-probe.ts';
import { StreamProbe, type ProbeResult } from '../../probes/stream-probe.ts';
import type { LiveTarget } from '../../targets/target.ts';
import { redactHeaders } from '../../contracts/redact.ts';
import { REDACTED, SENSITIVE_HEADER, Scrubber, credentialWords, redactQuery, scrubError } from '../../secrets/scrubber.ts';
import { buildCopy, forwardHeaders } from './copy.ts';
import { compileMatcher } from './match.ts';
import { TeeHandler, clientClosed, teeDispatcher } from './tee.ts';
import type { ShadowWindow } from './window.ts';

export type ShadowMode = 'inline' | 'mirror';

/** One copied request, as `--capture` writes it (after header drops and rewrites): what `parity replay` reads. */
export interface CapturedRequest {
  /** Epoch ms when the live request arrived. */
  t: number;
  requestId: string;
  route: string;
  method: string;
  /** The path as the baseline sees it (query included), credential query values `%5Bredacted%5D` (redactQuery). */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ShadowServerInput {
  loaded: LoadedConfig;
  shadow: ShadowConfig;
  mode: ShadowMode;
  targets: { baseline: LiveTarget; candidate: LiveTarget };
  timeouts: TimeoutsConfig;
  /** The window pairs go to (the current one when the pair completes). */
  window(): ShadowWindow;
  /** False once the rollout is decided: requests still pass through (inline), nothing is copied. */
  copying(): boolean;
  capture?: (c: CapturedRequest) => void;
  /** Every measured pair (metrics endpoint, tests). */
  onPair?: (pair: PairedSample, window: ShadowWindow) => void;
  onDropped?: () => void;
}

export interface ShadowServer {
  url: string;
  port: number;
  /** Pairs in flight (copies sent, not yet both measured). */
  inFlight(): number;
  /** Stops accepting; waits for the pairs in flight up to `graceMs`; returns how many were abandoned. */
  close(graceMs: number): Promise<number>;
}

/** A probe of either kind, as a dispatch handler the tee can wrap, measuring to one sample. */
type ShadowProbe = Dispatcher.DispatchHandler & { measure(dispatcher: Dispatcher): Promise<ProbeResult> };

/**
 * The shadow listener. Inline: the reverse proxy in front of the baseline — each request goes to
 * the baseline and its response streams back to the client byte for byte as it arrives while a
 * probe reads it; a copy goes to the candidate at the same moment, probed and discarded. Mirror:
 * receives copies a proxy already mirrors (nginx `mirror`, Envoy/Istio), answers 202 at once, and
 * sends the copy paired to both targets. Either way a compared request becomes a pair of samples
 * in the current window (the same sinks as `parity run`).
 *
 * The client's path never waits on the candidate: the candidate's copies run under their own
 * concurrency cap and queue, and a copy that finds both full is dropped and counted.
 */
export async function startShadowServer(input: ShadowServerInput, listen: { host: string; port: number }): Promise<ShadowServer> {
  const { loaded, shadow, mode, targets, timeouts } = input;
  const match = compileMatcher(loaded.baseline, loaded.candidate, shadow);
  const idHeader = loaded.config.requestIdHeader.toLowerCase();
  const classify = { baseline: targets.baseline.classify, candidate: targets.candidate.classify };
  let seq = 0;
  let pairsInFlight = 0;
  let idle: (() => void) | undefined;
  const limiter = new CopyLimiter(shadow.candidate.concurrency, shadow.candidate.queue);
  const sockets = new Set<import('node:net').Socket>();

  // Routes a stream scenario of the config uses are streams when their shadow kind is `auto`.
  const streamRoutes = new Set(streamScenarios(loaded).map((sc) => sc.route));
  const isStream = (d: { route: string; probe: 'auto' | 'stream' | 'request' }, accept: string | undefined) =>
    d.probe === 'stream' || (d.probe === 'auto' && (streamRoutes.has(d.route) || (accept ?? '').includes('text/event-stream')));
  type Req = { method: string; path: string; headers: Record<string, string>; body: string | Buffer | undefined };
  /** The probe for one side: the stream probe (SSE) or the request probe (a whole response); both are dispatch handlers. */
  const probeFor = (stream: boolean, role: Role, d: { route: string; endpoint: string }, requestId: string, iteration: number, req: Req): ShadowProbe => {
    const target = role === 'baseline' ? loaded.baseline.name : loaded.candidate.name;
    if (stream) {
      const p = new StreamProbe(classify[role], { target, role, scenario: d.route, requestId, iteration, vu: 0, promptIndex: 0, expectsCitations: false, ...req }, timeouts);
      return Object.assign(p, { measure: (dispatcher: Dispatcher) => p.run(dispatcher) });
    }
    const p = new RequestProbe({ target, role, scenario: d.route, requestId, iteration, vu: 0, route: d.endpoint }, req, timeouts, false);
    return Object.assign(p, { measure: (dispatcher: Dispatcher) => p.run(dispatcher).then((r): ProbeResult => (r.aborted ? { ...r.sample, aborted: true } : r.sample)) });
  };

  const scrubber = new Scrubber(loaded.secrets);
  /** A copy as it goes to a target: the target's own headers (targets[].headers: a service credential, say) over the copied ones. */
  const targetHeaders = { baseline: loaded.baseline.headers, candidate: loaded.candidate.headers };
  const withTargetHeaders = (copied: Record<string, string>, role: Role) => (Object.keys(targetHeaders[role]).length ? { ...copied, ...targetHeaders[role] } : copied);
  /**
   * A sample's error message may quote a backend's error body, which may echo one of the config's
   * secrets (the probe has already scrubbed the credentials its own request carried: the live
   * user's Authorization and cookies): scrubbed before the pair reaches the window's spool,
   * run.json and reports, as a run's pairs are.
   */
  const scrubbed = (s: ProbeResult): StreamSample => {
    const sample = plain(s);
    if (sample.error && !scrubber.empty) scrubError(sample, scrubber);
    return sample;
  };

  /**
   * Both samples of a pair into the window its request arrived in (`w`), once both are measured,
   * whenever that is: a window is judged once its copies are in (ShadowWindow.settle), so a
   * candidate slow to fail has its failures in the window of its requests, not a later one. A
   * dropped copy leaves no pair.
   */
  const finishPair = (w: ShadowWindow, route: string, requestId: string, iteration: number, both: Promise<readonly [ProbeResult, ProbeResult | undefined] | undefined>, stripped = false, live?: ServerResponse) => {
    pairsInFlight++;
    w.sent();
    void both.then((r) => {
      pairsInFlight--;
      // Inline: the user went away before the baseline's answer was done (a closed tab, a chat
      // stopped): the baseline was cut by the user, not comparable with the copy that went on.
      if (r?.[1] && live && clientClosed(live)) {
        w.counts.clientClosed++;
        // The candidate's failure on it is judged by no gate: counted, and the window cannot pass.
        if (!isSuccess(r[1].outcome)) w.counts.clientClosedFailed++;
      }
      else if (r?.[1] && stripped && refusedForCredentials(r[0], r[1])) w.counts.refusedUncredentialed++;
      else if (r?.[1]) {
        const pair: PairedSample = { requestId, scenario: route, iteration, baseline: scrubbed(r[0]), candidate: scrubbed(r[1]) };
        // An SSE answer the request probe read whole (kind request, or auto without an SSE accept)
        // measures none of what makes a stream right: counted, and the window cannot pass on it.
        // Either side's: a candidate streaming an error event where the baseline answered JSON read
        // `ok` and passed (test/redteam/shadow-candidate-stream-read-whole.test.ts).
        if (pair.baseline.streamReadWhole || pair.candidate.streamReadWhole) w.streamReadWhole(route);
        // The gates' pairs are the window's: a pair its window no longer takes goes to neither.
        if (w.add(pair)) input.onPair?.(pair, w);
      }
      w.finished();
      if (pairsInFlight === 0) idle?.();
    });
  };
  // Counted in the window the copy's request arrived in (a copy still queued at the close of the
  // last window is that window's).
  const dropped = (w: ShadowWindow) => {
    w.counts.dropped++;
    input.onDropped?.();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const arrived = Date.now();
    const w = input.window();
    w.counts.requests++;
    const method = req.method ?? 'GET';
    const rawPath = req.url ?? '/';
    const headers = forwardHeaders(req.headers);
    const iteration = seq++;
    const requestId = headers[idHeader] ?? `shadow-${arrived.toString(36)}-${iteration}`;
    headers[idHeader] = requestId;
    // The body as the client sent it: text when it is UTF-8 (the copy's rewrites read JSON), else its bytes, never re-encoded.
    const bodyText = body.length === 0 ? undefined : isUtf8(body) ? body.toString('utf8') : body;
    const decision = match(method, rawPath);
    let copy = false;
    if (decision.kind === 'unmatched') w.counts.unmatched++;
    else if (decision.kind === 'unsafe') w.counts.unsafe++;
    else if (!input.copying()) w.counts.sampledOut++;
    // Too big to copy: not a sample left out at random but a request never compared (counted; the window cannot pass).
    else if (body.length > shadow.maxCopyBody) w.counts.tooLarge++;
    // Each request on its own chance (never every k-th: that aliased with traffic that repeats, a
    // page's /a then /b, and left a route out entirely).
    else if (shadow.sample >= 100 || Math.random() * 100 < shadow.sample) copy = true;
    else w.counts.sampledOut++;

    if (mode === 'mirror') {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
      if (!copy || decision.kind !== 'compare') return;
    }
    const copied = copy && decision.kind === 'compare' ? buildCopy(headers, bodyText, shadow) : undefined;
    if (copied) w.counts.rewriteMissed += copied.rewriteMissed;

    if (mode === 'inline') {
      // The baseline gets the very bytes the client sent.
      const forwarded = { method, path: rawPath, headers, body: body.length ? body : undefined };
      if (!copied || decision.kind !== 'compare') {
        targets.baseline.pool.dispatch({ ...forwarded, method: method as Dispatcher.HttpMethod }, new TeeHandler({}, res));
        return;
      }
      const stream = isStream(decision, headers.accept);
      const bProbe = probeFor(stream, 'baseline', decision, requestId, iteration, forwarded);
      const b = bProbe.measure(teeDispatcher(targets.baseline.pool, (h) => new TeeHandler(h, res)));
      const cReq = { method, path: decision.candidatePath, headers: withTargetHeaders(copied.headers, 'candidate'), body: copied.body };
      const c = limiter.run(() => probeFor(stream, 'candidate', decision, requestId, iteration, cReq).measure(targets.candidate.pool), () => dropped(w));
      input.capture?.(captured(arrived, requestId, decision.route, method, rawPath, copied));
      finishPair(w, decision.route, requestId, iteration, Promise.all([b, c]), strippedCredentials(headers, cReq.headers), res);
      return;
    }
    // Mirror: both sides get the copy (dropped headers, rewrites), paired, under the copy limiter.
    if (!copied || decision.kind !== 'compare') return;
    const bReq = { method, path: rawPath, headers: withTargetHeaders(copied.headers, 'baseline'), body: copied.body };
    const cReq = { method, path: decision.candidatePath, headers: withTargetHeaders(copied.headers, 'candidate'), body: copied.body };
    input.capture?.(captured(arrived, requestId, decision.route, method, rawPath, copied));
    const stream = isStream(decision, headers.accept);
    const both = limiter.run(() => Promise.all([probeFor(stream, 'baseline', decision, requestId, iteration, bReq).measure(targets.baseline.pool), probeFor(stream, 'candidate', decision, requestId, iteration, cReq).measure(targets.candidate.pool)] as const), () => dropped(w));
    finishPair(w, decision.route, requestId, iteration, both);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    port,
    inFlight: () => pairsInFlight,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      limiter.clear();
      if (pairsInFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => (idle = resolve)), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      }
      const abandoned = pairsInFlight;
      for (const s of sockets) s.destroy();
      await closed;
      return abandoned;
    },
  };
}

/**
 * The live request carried a credential header (authorization, cookie, …) that its copy lacks:
 * dropped (shadow.dropHeaders, by default) and not given by the candidate's own headers.
 */
function strippedCredentials(live: Record<string, string>, copy: Record<string, string>): boolean {
  for (const name of Object.keys(live)) if (SENSITIVE_HEADER.test(name) && !(name in copy)) return true;
  return false;
}

/**
 * Inline: the baseline answered the user's request and the candidate refused (401/403) a copy sent
 * without the user's credentials. Not the same request, so not a pair to judge: a healthy candidate
 * read as failing would roll back on a setting. Counted (`refusedUncredentialed`; the window then
 * never passes) instead.
 */
function refusedForCredentials(baseline: ProbeResult, candidate: ProbeResult): boolean {
  return isSuccess(baseline.outcome) && (candidate.status === 401 || candidate.status === 403);
}

/**
 * A copied request as the capture writes it: a capture is a file that travels (tickets, CI
 * artifacts), so no live user's credential goes in. Credential headers keep their names with the
 * value `[redacted]` (redactCapturedHeaders), and so do credential query parameters
 * (`?access_token=%5Bredacted%5D&page=2`, the rest of the path byte for byte): a replay of it
 * sends the placeholder, and its own credentials come from targets[].headers.
 */
function captured(t: number, requestId: string, route: string, method: string, rawPath: string, copied: { headers: Record<string, string>; body: string | Buffer | undefined }): CapturedRequest {
  return { t, requestId, route, method, path: redactQuery(rawPath), headers: redactCapturedHeaders(copied.headers), ...capturedBody(copied.body) };
}

/**
 * A live request's headers as a capture holds them: the contract artifacts' list (redactHeaders:
 * authorization, cookie, token, secret, api-key, password) and every name whose words read as a
 * credential, as a query parameter's do (credentialWords: `x-functions-key`, `x-session-id`,
 * `x-auth-user`, `x-amz-security-token`), `[redacted]`. With the narrower list alone, an Azure
 * Functions key or a session id of every live user went into the file in clear.
 */
export function redactCapturedHeaders(headers: Record<string, string>): Record<string, string> {
  const out = redactHeaders(headers);
  for (const k in out) if (credentialWords(k)) out[k] = REDACTED;
  return out;
}

/** A captured body: text as it is, bytes that are not UTF-8 as base64 (`bodyEncoding`, which replay reads). */
function capturedBody(body: string | Buffer | undefined): { body?: string; bodyEncoding?: 'base64' } {
  if (body === undefined) return {};
  return typeof body === 'string' ? { body } : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

/** A sample as stored: the probe's extras (`aborted`, `text`) left out. */
function plain(s: ProbeResult): StreamSample {
  const { aborted: _a, text: _t, ...rest } = s;
  return rest;
}

/**
 * At most `concurrency` copies in flight and `queue` waiting; a copy that finds both full is
 * dropped (its `onDrop` called) and resolves to undefined. Never blocks the caller.
 */
export class CopyLimiter {
  private active = 0;
  private readonly waiting: { start: () => void; drop: () => void }[] = [];
  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  run<T>(task: () => Promise<T>, onDrop: () => void): Promise<T | undefined> {
    if (this.active < this.concurrency) return this.start(task);
    if (this.waiting.length >= this.queue) {
      onDrop();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => this.waiting.push({ start: () => void this.start(task).then(resolve), drop: () => (onDrop(), resolve(undefined)) }));
  }

  /** Waiting copies are dropped without being sent (shutdown), and counted as dropped (`onDrop`): each resolves to undefined. */
  clear(): void {
    for (const w of this.waiting.splice(0)) w.drop();
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.active++;
    return task().finally(() => {
      this.active--;
      this.waiting.shift()?.start();
    });
  }
}
