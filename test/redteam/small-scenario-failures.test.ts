import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startContractFixture, type RouteKnob } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { evaluatePolicy, WARN_ONLY_REASON } from '../../harness/gates/evaluate.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { PairedSample } from '../../harness/metrics/sample.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { renderVerdict } from '../../harness/reporters/verdict.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);
const jitter = (i: number) => 300 + ((i * 37) % 50);
const failed = { outcome: 'http_error', status: 503, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 } as const;
const healthy = (i: number) => ({ completionMs: jitter(i) });
const judge = async (ps: PairedSample[], gates = [{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], extra: Record<string, unknown> = {}) => {
  const policy = await policyOf(gates, { minSamples: 100, ...extra });
  return evaluatePolicy(policy, runOf(ps), ps.map(gatePair), NOW);
};
const gate = (v: Awaited<ReturnType<typeof judge>>, id: string) => v.gates.find((g) => g.id === id);

/**
 * The failed-requests guard was judged run-wide, and per scope only where a gate named the scope.
 * A scenario that is 0.2% of the iterations, its candidate failing every request, moved the
 * run-wide error rate by 0.2 pp, inside the +0.5 pp margin: PASS. Every scenario (and flow step)
 * now has a guard that fails on evidence, and never holds a verdict back for being small.
 */
describe('a lightly weighted scenario broken entirely: no pass', () => {
  it('12 pairs of 6012, every candidate request failing: FAIL naming the scenario', async () => {
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...pairs(12, healthy, () => failed, 'export')];
    const v = await judge(ps);
    expect(v.status, v.reasons.join('\n')).toBe('fail');
    // What passed before: the run-wide guard is inside its margin.
    expect(gate(v, 'failed-requests')?.status).toBe('pass');
    expect(gate(v, 'failed-requests@export')).toMatchObject({ status: 'fail', scenario: 'export', severity: 'fail' });
    expect(v.status, v.reasons.join('\n')).toBe('fail');
    expect(v.reasons.some((r) => r.startsWith('FAIL failed-requests@export: '))).toBe(true);
    expect(renderVerdict(v, { color: false })).toMatch(/FAIL\s+failed-requests@export: /);
  });

  it('the same small scenario healthy: PASS, its guard "not judged" (never a pass of 12 pairs, never inconclusive)', async () => {
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...pairs(12, healthy, healthy, 'export')];
    for (const insufficient of ['inconclusive', 'fail']) {
      const v = await judge(ps, undefined, { insufficient });
      expect(v.status, `${insufficient}: ${v.reasons.join('\n')}`).toBe('pass');
      const g = gate(v, 'failed-requests@export')!;
      expect(g.status).toBe('unjudged');
      expect(g.reason).toMatch(/^failed-requests@export: not judged alone \(12 pairs, fewer than minSamples 100 to show a pass\)/);
      // The big scenario has enough pairs to be shown within the margin.
      expect(gate(v, 'failed-requests@chat')?.status).toBe('pass');
    }
    const v = await judge(ps);
    const text = renderVerdict(v, { color: false });
    expect(text).toMatch(/not judged\s+failed-requests@export: not judged alone/);
    expect(text).not.toMatch(/pass\s+failed-requests@export/);
    const xml = renderJunit(runOf(ps, { verdict: v }));
    expect(xml).toMatch(/<testcase name="failed-requests@export: [^"]*"[^>]*>\n\s*<skipped message="not judged/);
    expect(xml).toMatch(/<testsuite name="policy [^"]*" tests="\d+" failures="0" errors="0" skipped="1"/);
    expect(renderMarkdown(runOf(ps, { verdict: v }))).toMatch(/failed-requests@export.*➖ not judged/);
  });

  it('a single flaky failure in a small scenario is no evidence: still PASS', async () => {
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...pairs(12, healthy, (i) => (i === 3 ? failed : healthy(i)), 'export')];
    const v = await judge(ps);
    expect(v.status, v.reasons.join('\n')).toBe('pass');
    expect(gate(v, 'failed-requests@export')?.status).toBe('unjudged');
  });

  it('failedRequests sets its margin too', async () => {
    // 4 of 40 failing (+10 pp): beyond +0.5 pp on evidence, not beyond +30 pp.
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...pairs(40, healthy, (i) => (i % 10 === 0 ? failed : healthy(i)), 'export')];
    expect(gate(await judge(ps), 'failed-requests@export')?.status).toBe('fail');
    const wide = await judge(ps, undefined, { failedRequests: '<= +30pp' });
    expect(gate(wide, 'failed-requests@export')).toMatchObject({ status: 'unjudged', limit: 30 });
    expect(wide.status).toBe('pass');
  });

  it('a warn-only policy stays warn-only', async () => {
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...pairs(12, healthy, () => failed, 'export')];
    const v = await judge(ps, [{ metric: 'completion.p95', threshold: '<= 1.2x baseline', severity: 'warn' } as never]);
    expect(v.status).toBe('inconclusive');
    expect(v.reasons[0]).toBe(WARN_ONLY_REASON);
  });

  it('one scenario: no per-scenario guard (the run-wide guard is it)', async () => {
    const v = await judge(pairs(300, healthy, healthy, 'chat'));
    expect(v.gates.map((g) => g.id)).toEqual(['completion.p95', 'failed-requests']);
  });

  it('a flow step broken entirely: its own guard fails; a scope a gate names keeps its full guard', async () => {
    const steps = ['login', 'create', 'read'];
    const flow = pairs(60, healthy, healthy, 'lots').flatMap((p) => steps.map((step) => ({ ...p, step, candidate: step === 'read' && p.iteration % 5 === 0 ? { ...p.candidate, ...failed } : p.candidate })));
    const ps = [...pairs(6000, healthy, healthy, 'chat'), ...flow];
    const v = await judge(ps);
    expect(gate(v, 'failed-requests@lots/read')?.status).toBe('fail');
    expect(gate(v, 'failed-requests@lots/login')?.status).toBe('unjudged');
    expect(v.status).toBe('fail');
    // A gate scoped to `lots` already brings the scope's full guard: not a second one.
    const scoped = await judge(ps, [{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'lots' } as never]);
    expect(scoped.gates.filter((g) => g.id === 'failed-requests@lots')).toHaveLength(1);
  });
});

/**
 * Under load, on the lots fixture: `health` is 99.5% of the iterations, `login` 0.5% (10 of 2000,
 * by weight), and the candidate answers every login 503. The run-wide error rate moves by 0.5 pp,
 * inside the policy's `failedRequests: "<= +1pp"`: this run passed.
 */
describe('parity run: a 0.5%-weight scenario whose candidate fails every request', () => {
  const run = async (candidate: Record<string, RouteKnob>) => {
    const [base, cand] = [await startContractFixture(), await startContractFixture({ routes: candidate })];
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'parity-small-'));
      const cfg = {
        targets: [
          { name: 'express', role: 'baseline', baseUrl: base.url },
          { name: 'fastapi', role: 'candidate', baseUrl: cand.url },
        ],
        scenarios: [
          { type: 'request', name: 'health', route: 'GET /api/health', weight: 99.5 },
          { type: 'request', name: 'login', route: 'POST /api/login', weight: 0.5, body: { email: 'qa@example.test', password: 'x' } },
        ],
        load: { vus: 4, iterations: 2000 },
        preflight: { retries: 0, interval: 10 },
      };
      const out = await runParity(await resolveConfig(cfg as never, path.join(dir, 'inline.json')), { outDir: dir });
      const file = path.join(dir, 'policy.yaml');
      writeFileSync(file, ['name: nightly', 'failedRequests: "<= +1pp"', 'gates:', '  - { metric: status_5xx_rate, threshold: "<= +1pp" }'].join('\n'));
      // The gates are what is tested here: a busy test machine's event-loop warning (which holds any pass back) is set aside.
      const result = out.result.harness ? { ...out.result, harness: { ...out.result.harness, warnings: [] } } : out.result;
      return evaluatePolicy(await loadPolicy(file), result, await out.collectPairs(gatePair), NOW);
    } finally {
      await Promise.all([base.close(), cand.close()]);
    }
  };

  it('FAIL, naming the scenario; the same run with a healthy candidate: PASS', async () => {
    const broken = await run({ 'POST /api/login': { errorRate: 1 } });
    expect(broken.status, broken.reasons.join('\n')).toBe('fail');
    const login = gate(broken, 'failed-requests@login')!;
    expect(login.samples.candidate).toBeGreaterThanOrEqual(5);
    expect(login.samples.candidate).toBeLessThanOrEqual(20);
    // What passed before: the run-wide guard and gate are inside their +1 pp.
    expect(gate(broken, 'failed-requests')?.status).toBe('pass');
    expect(login).toMatchObject({ status: 'fail', limit: 1 });
    expect(broken.status, broken.reasons.join('\n')).toBe('fail');
    expect(renderVerdict(broken, { color: false })).toMatch(/FAIL\s+failed-requests@login: candidate − baseline \+100 pp/);

    const healthy = await run({});
    expect(healthy.status, healthy.reasons.join('\n')).toBe('pass');
    expect(gate(healthy, 'failed-requests@login')?.status).toBe('unjudged');
  }, 60_000);
});

describe('parity validate lists the per-scenario and per-step guards', () => {
  it('seed-003: one per scenario and one per step of the lots flow, on evidence only', async () => {
    const { runCli } = await import('../helpers/cli.ts');
    const r = await runCli(['validate', 'scenarios/seed-003-express-to-fastapi.config.yaml', '--policy', 'seed-003-cutover-endpoints']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fail failed-requests@health: the same over scenario health, on evidence only (implicit per scenario: fails when entirely beyond the margin however few its pairs; passes over minSamples 200; else not judged, holding nothing back)');
    expect(r.stdout).toContain('fail failed-requests@lots/create_lot: the same over scenario lots, step create_lot, on evidence only (implicit per flow step');
  });
});
