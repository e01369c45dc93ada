import type { Dispatcher } from 'undici';
import type { TimeoutsConfig } from '../../config/schema.ts';
import type { Role, StreamSample } from '../../metrics/sample.ts';
import { RequestProbe } from '../../probes/request-probe.ts';
import { StreamProbe, type ProbeResult } from '../../probes/stream-probe.ts';
import type { EventClassifier } from '../../probes/stream-profile.ts';

/** One side's request of a shadowed pair, as it is sent. */
export interface ShadowRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** What a shadowed request is, for either side's probe: the stream or request probe, and the names its sample carries. */
export interface ShadowProbeSpec {
  stream: boolean;
  /** The logical route (the sample's scenario). */
  route: string;
  /** The route template (`POST /api/lots`), a request sample's endpoint. */
  endpoint: string;
  requestId: string;
  iteration: number;
}

/** A probe of either kind, as a dispatch handler the tee can wrap, measuring to one sample. */
export type ShadowProbe = Dispatcher.DispatchHandler & { measure(dispatcher: Dispatcher): Promise<ProbeResult> };

/** The probe for one side: the stream probe (SSE) or the request probe (a whole response); both are dispatch handlers. */
export function shadowProbe(spec: ShadowProbeSpec, side: { target: string; role: Role; classify: EventClassifier }, req: ShadowRequest, timeouts: TimeoutsConfig): ShadowProbe {
  const { target, role } = side;
  if (spec.stream) {
    const p = new StreamProbe(side.classify, { target, role, scenario: spec.route, requestId: spec.requestId, iteration: spec.iteration, vu: 0, promptIndex: 0, expectsCitations: false, ...req }, timeouts);
    return Object.assign(p, { measure: (dispatcher: Dispatcher) => p.run(dispatcher) });
  }
  const p = new RequestProbe({ target, role, scenario: spec.route, requestId: spec.requestId, iteration: spec.iteration, vu: 0, route: spec.endpoint }, req, timeouts, false);
  return Object.assign(p, { measure: (dispatcher: Dispatcher) => p.run(dispatcher).then((r): ProbeResult => (r.aborted ? { ...r.sample, aborted: true } : r.sample)) });
}

/** A sample as stored: the probe's extras (`aborted`, `text`) left out. */
export function plainSample(s: ProbeResult): StreamSample {
  const { aborted: _a, text: _t, ...rest } = s;
  return rest;
}
