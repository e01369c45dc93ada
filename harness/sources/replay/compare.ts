import type { DiffRulesConfig } from '../../config/schema.ts';
import type { CompiledFlow, CompiledStep } from '../../contracts/compile.ts';
import { compareResponses, normalizeResponse, type Observed } from '../../contracts/normalize.ts';
import { compileRules, type CompiledRules } from '../../contracts/rules.ts';
import type { StepObservation } from '../../contracts/runner.ts';
import type { RequestResult, WireRequest } from '../../probes/request-probe.ts';
import type { ProbeResult } from '../../probes/stream-probe.ts';
import type { Difference } from '../../run/result.ts';
import type { LiveTarget } from '../../targets/target.ts';

interface PairInput {
  route: string;
  iteration: number;
  requestId: string;
  targets: readonly [LiveTarget, LiveTarget];
  requests: readonly WireRequest[];
}

/**
 * Contract comparison of a sample of replayed pairs, under the config's `contracts.rules`: each
 * endpoint is one step of the flow "replay", so its drift is tallied and reported as a request
 * scenario's is under load (run.json `contracts`, `underLoad: true`).
 */
export class ReplayComparer {
  private readonly flow: CompiledFlow;
  private readonly steps = new Map<string, CompiledStep>();
  private readonly rules: CompiledRules;

  constructor(
    private readonly scenario: string,
    private readonly rulesConfig: DiffRulesConfig | undefined,
    /** Response headers compared. */
    private readonly headers: readonly string[],
  ) {
    this.rules = compileRules([rulesConfig]);
    this.flow = { name: scenario, vars: {}, repeat: 1, noise: false, steps: [] };
  }

  /** A comparer with the same rules and no endpoints: the warm-up's, so nothing of it reaches the report. */
  scratch(): ReplayComparer {
    return new ReplayComparer(this.scenario, this.rulesConfig, this.headers);
  }

  private step(route: string, method: string, path: string, stream: boolean): CompiledStep {
    let s = this.steps.get(route);
    if (!s) {
      // The step's route as diffs/*.json show it: its first request's path without the query, as
      // the endpoint names it (the query of one request, `?api_key=…` included, is no route's).
      const r = { method, path: path.split('?', 1)[0]! };
      s = { index: 0, name: route, stream, routes: { baseline: r, candidate: r }, headers: {}, body: undefined, captures: [], expect: { values: [], contains: [], matches: [], json: false }, rules: this.rules };
      this.steps.set(route, s);
    }
    return s;
  }

  /** The observation of one compared request pair and its differences (status, headers, JSON body). */
  observe(p: PairInput & { results: readonly RequestResult[] }): { obs: StepObservation; diffs: Difference[] } {
    const observed = p.results.map((r) =>
      normalizeResponse({ status: r.sample.status ?? null, headers: r.headers, bodyText: r.bodyText, durationMs: r.sample.endMs, ...(r.sample.error && r.sample.outcome !== 'http_error' ? { error: r.sample.error } : {}) }),
    );
    return this.pairOf(p, observed, false);
  }

  /**
   * The observation of one compared stream pair: its status and its streamed content (the text the
   * target's stream profile reads as content), diffed by the same engine as a JSON body
   * `{ "content": "<text>" }`, so the config's rules address it as `/content` (ignore it, normalize
   * it, or give it a format). A stream probe keeps no response headers: none are compared.
   */
  observeStream(p: PairInput & { results: readonly ProbeResult[] }): { obs: StepObservation; diffs: Difference[] } {
    const observed = p.results.map((s) =>
      normalizeResponse({ status: s.status ?? null, headers: {}, bodyText: JSON.stringify({ content: s.text ?? '' }), text: s.text ?? '', durationMs: s.endMs, ...(s.outcome !== 'complete' ? { error: s.error ?? { code: s.outcome, message: s.outcome } } : {}) }),
    );
    return this.pairOf(p, observed, true);
  }

  private pairOf(p: PairInput, observed: Observed[], stream: boolean): { obs: StepObservation; diffs: Difference[] } {
    const diffs = compareResponses(observed[0]!, observed[1]!, { headers: stream ? [] : this.headers, rules: this.rules, body: true });
    const sent = (i: 0 | 1) => {
      const q = p.requests[i]!;
      return { method: q.method, url: new URL(p.targets[i].config.baseUrl).origin + q.path, path: q.path, headers: q.headers, body: typeof q.body === 'string' || q.body === undefined ? q.body : `(${q.body.length} bytes, not UTF-8)` };
    };
    const req = p.requests[0]!;
    const obs: StepObservation = {
      flow: this.flow,
      step: this.step(p.route, req.method, req.path, stream),
      iteration: p.iteration,
      requestId: p.requestId,
      requests: { baseline: sent(0), candidate: sent(1) },
      responses: { baseline: observed[0]!, candidate: observed[1]! },
      failures: { baseline: [], candidate: [] },
    };
    return { obs, diffs };
  }
}
