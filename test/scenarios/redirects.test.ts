import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { wilson, zFor } from '../../harness/gates/intervals.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import type { Verdict } from '../../harness/run/result.ts';
import { startContractProcess, type ContractProcess } from '../helpers/contract-process.ts';

/**
 * A candidate that redirects what the baseline answers (FastAPI's trailing-slash 307 on an
 * Express → FastAPI move): a redirect is not followed and is an answer (`ok`, as in k6), and a
 * fast one, so error rate and latency gates pass it. `status_3xx_rate` sees it: the fixture's
 * per-route knob redirects exactly 20% of the candidate's `GET /api/health`.
 */
describe('a candidate that redirects', () => {
  let fx: ContractProcess;
  let out: RunOutput;
  let verdict: Verdict;
  beforeAll(async () => {
    fx = await startContractProcess([{}, { routes: { 'GET /api/health': { redirectRate: 0.2 } } }]);
    const cfg: ConfigInput = {
      targets: [
        { name: 'express', role: 'baseline', baseUrl: fx.urls[0]!, routes: {} },
        { name: 'fastapi', role: 'candidate', baseUrl: fx.urls[1]!, routes: {} },
      ],
      scenarios: [{ type: 'request', name: 'health', route: 'GET /api/health' }],
      load: { vus: 4, iterations: 500, warmup: 0 },
      preflight: { retries: 0, interval: 10 },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-redirect-'));
    out = await runParity(await resolveConfig(cfg, path.join(dir, 'inline.json')), { outDir: dir });
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      [
        'minSamples: 100',
        'gates:',
        '  - { name: errors, metric: error_rate, threshold: "<= 1%" }',
        '  - { name: 5xx, metric: status_5xx_rate, threshold: "<= 2%" }',
        '  - { name: redirects, metric: status_3xx_rate, threshold: "<= +0.5pp" }',
        '  - { name: 4xx, metric: status_4xx_rate, threshold: "<= +2pp" }',
      ].join('\n'),
    );
    verdict = evaluatePolicy(await loadPolicy(policyFile), out.result, await out.collectPairs(gatePair));
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  });
  const gate = (id: string) => verdict.gates.find((g) => g.id === id)!;

  it('error and 5xx gates pass it; the 3xx rate gate fails, on the injected 20% within its Wilson interval', () => {
    expect(out.result.complete).toBe(true);
    expect(gate('errors').status).toBe('pass');
    expect(gate('5xx').status).toBe('pass');
    expect(gate('4xx').status).toBe('pass');
    const r = gate('redirects');
    expect(r.status).toBe('fail');
    expect(r.observed.baseline).toBe(0);
    const n = out.result.summaries[0]!.candidate.count;
    // The fixture redirects exactly every fifth request: the measured share's interval holds 20%.
    const ci = wilson(Math.round(r.observed.candidate! * n), n, zFor(0.99));
    expect(ci.low).toBeLessThanOrEqual(0.2);
    expect(ci.high).toBeGreaterThanOrEqual(0.2);
    expect(verdict.status).toBe('fail');
  });
});
