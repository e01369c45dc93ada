import { describe, expect, it } from 'vitest';
import type { ResolvedFlowScenario } from '../../harness/config/flow-scenarios.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { buildRequest, sameBodyOnEverySide } from '../../harness/probes/request-template.ts';
import type { LiveTarget } from '../../harness/targets/target.ts';
import { tempWorkspace } from '../helpers/config.ts';

/**
 * A load iteration's request, from templates compiled once per (target, step): the headers in the
 * order they were always sent (target's, step's, content type, accept, request id), the base URL's
 * path prefix, the path's variables URL-encoded, each side's own variables.
 */
async function flowOf(steps: unknown[], vars: Record<string, unknown> = {}) {
  const ws = tempWorkspace();
  const loaded = await resolveConfig(
    {
      targets: [
        { name: 'a', role: 'baseline', baseUrl: 'http://127.0.0.1:9/api/', headers: { 'x-team': 'qa', accept: 'text/plain' }, routes: { 'lots.get': 'GET /lots/{{code}}' } },
        { name: 'b', role: 'candidate', baseUrl: 'http://127.0.0.1:9', routes: { 'lots.get': 'GET /v2/lots/{{code}}' } },
      ],
      scenarios: [{ type: 'flow', name: 'f', vars, steps }],
      load: { vus: 1, iterations: 1 },
    },
    ws.configFile,
  );
  const sc = loaded.scenarios[0] as ResolvedFlowScenario;
  const targets = [loaded.baseline, loaded.candidate].map((config) => ({ config }) as unknown as LiveTarget);
  return { flow: sc.flow, targets };
}

describe('request templates per (target, step)', () => {
  it('sends each side its own variables, headers in the same order as ever, the prefix and the encoded path', async () => {
    const { flow, targets } = await flowOf([
      { name: 'login', route: 'POST /login', body: { email: 'qa@x.test' }, capture: { token: '$.token', code: '$.code' } },
      { name: 'get', route: 'lots.get', headers: { authorization: 'Bearer {{token}}', 'x-fixed': '1' }, body: { who: '{{unique}}', n: '{{iteration}}' } },
    ]);
    const step = flow.steps[1]!;
    const varsA = new Map<string, unknown>([['token', 'tA'], ['code', 'L 1/a'], ['unique', 'u-a'], ['iteration', 3]]);
    const varsB = new Map<string, unknown>([['token', 'tB'], ['code', 'L 1/b'], ['unique', 'u-b'], ['iteration', 3]]);
    for (let round = 0; round < 2; round++) {
      // The second time from the cached template: the same request.
      const a = buildRequest(step, targets[0]!, 'baseline', varsA, 'x-request-id', 'r-3-get');
      const b = buildRequest(step, targets[1]!, 'candidate', varsB, 'x-request-id', 'r-3-get');
      expect(a.method).toBe('GET');
      expect(a.path).toBe('/api/lots/L%201%2Fa');
      expect(b.path).toBe('/v2/lots/L%201%2Fb');
      expect(Object.entries(a.headers)).toEqual([
        ['x-team', 'qa'],
        ['accept', 'text/plain'],
        ['authorization', 'Bearer tA'],
        ['x-fixed', '1'],
        ['content-type', 'application/json'],
        ['x-request-id', 'r-3-get'],
      ]);
      expect(Object.entries(b.headers)).toEqual([
        ['authorization', 'Bearer tB'],
        ['x-fixed', '1'],
        ['content-type', 'application/json'],
        ['accept', 'application/json'],
        ['x-request-id', 'r-3-get'],
      ]);
      expect(a.body).toBe('{"who":"u-a","n":3}');
      expect(b.body).toBe('{"who":"u-b","n":3}');
    }
  });

  it('renders a body once for both sides only when no side-specific variable can reach it', async () => {
    const cases: [unknown, Record<string, unknown>, boolean][] = [
      [{ session: 'parity-{{iteration}}', run: '{{run_id}}' }, {}, true],
      [{ who: '{{unique}}' }, {}, false],
      [{ code: '{{code}}' }, { code: 'LOT-{{unique}}' }, false],
      [{ code: '{{code}}' }, { code: 'LOT-{{iteration}}' }, true],
      // A flow var named like a built-in takes its place, and may make it side-specific.
      [{ n: '{{iteration}}' }, { iteration: '{{unique}}' }, false],
      // A capture is each side's own.
      [{ t: '{{token}}' }, {}, false],
      [undefined, {}, true],
    ];
    for (const [body, vars, same] of cases) {
      const { flow } = await flowOf([{ name: 'login', route: 'POST /login', capture: { token: '$.token' } }, { name: 's', route: 'POST /s', ...(body === undefined ? {} : { body }) }], vars);
      expect([body, vars, sameBodyOnEverySide(flow, flow.steps[1]!)]).toEqual([body, vars, same]);
    }
  });
});
