import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatFixtureOptions, FaultRates } from '../../fixtures/backends/chat-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { ConfigError } from '../../harness/errors.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { listPresets, loadPolicy, type LoadedPolicy } from '../../harness/gates/load.ts';
import { gatePair, type GatePair } from '../../harness/gates/metrics.ts';
import { readRunWithPairs } from '../../harness/run/read.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { RunResult, Verdict } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { pairs, policyOf, runOf, tempDir } from '../helpers/gates.ts';

/**
 * Issue 11, point 1: no verdict passes a candidate whose requests fail, whatever the policy says
 * about latency. The rule is the implicit failed-requests guard (harness/gates/guard.ts).
 */
const NOW = new Date(0);
const jitter = (i: number) => 300 + ((i * 37) % 50);
const guardOf = (v: Verdict) => v.gates.find((g) => g.id === 'failed-requests');

describe('the cases the issue reports: a percentile over survivors hid the failures', () => {
  it('seed-000-stage-b: a candidate answering 503 to every second request over 3 000 pairs fails', async () => {
    const ps = pairs(3000, (i) => ({ completionMs: jitter(i) }), (i) => (i % 2 ? { outcome: 'http_error', status: 503, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 } : { completionMs: jitter(i) }));
    const v = evaluatePolicy(await loadPolicy('seed-000-stage-b'), runOf(ps), ps, NOW);
    expect(v.status).toBe('fail');
    // The latency and interruption gates see only the survivors and pass; the error gates do not.
    expect(v.gates.filter((g) => g.status === 'fail').map((g) => g.id)).toEqual(['user-visible-errors', 'failed-requests', 'failed-requests@citations']);
    expect(guardOf(v)!.value).toBeCloseTo(50, 6);
  });

  it('seed-002-staging-soak: a candidate stalling every second stream fails', async () => {
    const ps = pairs(3000, (i) => ({ completionMs: jitter(i) }), (i) => (i % 2 ? { outcome: 'stalled', completionMs: undefined } : { completionMs: jitter(i) }));
    const v = evaluatePolicy(await loadPolicy('seed-002-staging-soak'), runOf(ps), ps, NOW);
    expect(v.status).toBe('fail');
    expect(v.gates.filter((g) => g.status === 'fail').map((g) => g.id)).toEqual(['failed-requests']);
  });

  it('a latency-only policy cannot pass a candidate whose requests fail, even in small runs', async () => {
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }]);
    const ps = pairs(100, (i) => ({ completionMs: jitter(i) }), (i) => (i % 20 === 0 ? { outcome: 'reset', completionMs: undefined } : { completionMs: jitter(i) }));
    const v = evaluatePolicy(policy, runOf(ps), ps, NOW);
    expect(v.gates[0]!.status).toBe('pass');
    expect(v.status).toBe('fail');
    expect(v.reasons[0]).toMatch(/^FAIL failed-requests: candidate − baseline \+5 pp/);
  });
});

describe('the failed-requests guard', () => {
  it('passes when the candidate failed no more streams than the baseline, and counts every way of failing', async () => {
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }]);
    const same = pairs(40, (i) => (i === 3 ? { outcome: 'reset', completionMs: undefined } : {}), (i) => (i === 7 ? { outcome: 'stalled', completionMs: undefined } : {}));
    const v = evaluatePolicy(policy, runOf(same), same, NOW);
    expect(guardOf(v)).toMatchObject({ status: 'pass', severity: 'fail', metric: 'error_rate' });
    expect(v.status).toBe('pass');
    // One more failure than the baseline in 40 pairs: not shown within +0.5pp, so no pass yet.
    for (const outcome of ['http_error', 'connect_error', 'reset', 'stalled', 'no_terminal', 'error_event', 'timeout', 'malformed'] as const) {
      const more = pairs(40, () => ({}), (i) => (i === 7 ? { outcome, completionMs: undefined } : {}));
      const w = evaluatePolicy(policy, runOf(more), more, NOW);
      expect([outcome, w.status]).toEqual([outcome, 'inconclusive']);
      expect(guardOf(w)!.status).toBe('inconclusive');
    }
  });

  it('a policy can change its margin (inherited through extends) but not remove or turn it around', async () => {
    const dir = tempDir();
    const loose = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { failedRequests: '<= +10pp' }, dir);
    const ps = pairs(1000, () => ({}), (i) => (i % 20 === 0 ? { outcome: 'error_event', completionMs: undefined } : {}));
    expect(guardOf(evaluatePolicy(loose, runOf(ps), ps, NOW))!.status).toBe('pass');
    writeFileSync(path.join(dir, 'child.json'), JSON.stringify({ extends: './policy.json', gates: [] }));
    const child = await loadPolicy(path.join(dir, 'child.json'));
    expect(child.guard.threshold.text).toBe('<= +10pp');
    for (const bad of ['<= 5%', '>= -1pp', '<= 2x baseline', 'off', '<= +150pp']) {
      const err = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { failedRequests: bad }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]!.path).toBe('failedRequests');
    }
  });
});

/**
 * Every shipped preset against real candidates that fail 5% and 50% of requests in each way,
 * measured over real sockets. One small run per fault kind and rate, stored; every preset then
 * judges the stored run offline, as `parity gate` does.
 */
const PAIRS = 200;
const FAULTS: Record<string, keyof FaultRates> = { '5xx': 'httpError', reset: 'reset', stall: 'stall', 'error event': 'errorEvent', 'no terminal': 'noTerminal', 'empty answer': 'empty' };
const RATES = [0.05, 0.5];
const shape = { framing: 'named-events', tokens: 2 } as const;

describe('every shipped preset against failing candidates (fixture backends)', () => {
  let proc: FixtureProcess;
  let presets: LoadedPolicy[];
  const ws = tempWorkspace([{ text: 'what does the handbook say about refunds?', expectsCitations: true }]);
  const cases = Object.entries(FAULTS).flatMap(([kind, key]) => RATES.map((rate) => ({ kind, rate, opts: { ...shape, seed: 7, faults: { [key]: rate } } as ChatFixtureOptions })));

  beforeAll(async () => {
    proc = await startFixtureProcess([{ ...shape, seed: 1 }, { ...shape, seed: 2 }, ...cases.map((c) => c.opts)]);
    presets = await Promise.all(listPresets().map((p) => loadPolicy(p)));
  });
  afterAll(async () => {
    await proc?.close();
  });

  async function stored(candidateUrl: string, runId: string): Promise<{ run: RunResult; pairs: GatePair[] }> {
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl,
      promptsFile: ws.promptsFile,
      load: { vus: 50, iterations: PAIRS, timeouts: { connect: '1s', idle: '1s', firstEvent: '2s', total: '10s' } },
    });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out, runId });
    return readRunWithPairs(out.runJson, gatePair);
  }

  function judgeAll(run: RunResult, ps: GatePair[], label: string): void {
    expect(presets.length).toBeGreaterThanOrEqual(12);
    for (const policy of presets) {
      const v = evaluatePolicy(policy, run, ps, NOW);
      const why = `${label} × ${policy.name}: ${v.reasons.join(' | ')}`;
      expect(v.status, why).not.toBe('pass');
      expect(v.status, why).toBe('fail');
      expect(guardOf(v)!.status, why).toBe('fail');
    }
  }

  it(`the clean control: the guard passes a candidate that does not fail (${PAIRS} pairs)`, async () => {
    const { run, pairs: ps } = await stored(proc.fixtures[1]!.url, 'clean');
    expect(ps).toHaveLength(PAIRS);
    for (const policy of presets) {
      const v = evaluatePolicy(policy, run, ps, NOW);
      expect(guardOf(v)!.status, `${policy.name}: ${guardOf(v)!.reason}`).toBe('pass');
    }
  });

  for (const [i, c] of cases.entries()) {
    it(`${c.kind} on ${c.rate * 100}% of requests: no preset passes`, async () => {
      const { run, pairs: ps } = await stored(proc.fixtures[2 + i]!.url, `${c.kind.replace(' ', '-')}-${c.rate}`);
      expect(ps).toHaveLength(PAIRS);
      // The fixture injects exactly rate × 100 faults per 100 requests: all of them were measured as failures.
      expect(ps.filter((p) => p.candidate.outcome !== 'complete')).toHaveLength(c.rate * PAIRS);
      judgeAll(run, ps, `${c.kind} ${c.rate}`);
    });
  }

  it('connect errors on 5% and 50% of requests: no preset passes', async () => {
    // A backend cannot refuse chosen connections, so the pairs are composed from two real runs: the
    // clean run's candidate samples, with the chosen iterations taken from a run whose candidate
    // refused every connection (a closed port). Every sample is measured.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const refused = await stored(`http://127.0.0.1:${closed}`, 'refused');
    const clean = await stored(proc.fixtures[1]!.url, 'clean-2');
    expect(refused.pairs.every((p) => p.candidate.outcome === 'connect_error')).toBe(true);
    for (const rate of RATES) {
      const every = Math.round(1 / rate);
      const ps = clean.pairs.map((p, i) => (i % every === 0 ? { ...p, candidate: refused.pairs[i]!.candidate } : p));
      expect(ps.filter((p) => p.candidate.outcome === 'connect_error')).toHaveLength(rate * PAIRS);
      judgeAll(clean.run, ps, `connect error ${rate}`);
    }
  });
});
