import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

const NOW = new Date(0);
const jitter = (i: number) => 300 + ((i * 37) % 50);
const failed = { outcome: 'http_error', status: 503, completionMs: undefined, firstContentMs: undefined, firstEventMs: undefined, citations: 0 } as const;

/**
 * The failed-requests guard counted every pair of the run. A gate scoped to one scenario (or route,
 * or flow step) reads that scope's survivors: when the scope is a small share of the traffic, its
 * failures moved the run-wide error rate by less than the guard's margin, and the scoped latency
 * gate passed over the half of the scope's streams that completed.
 */
describe('a scoped gate never passes over the survivors of its own scope', () => {
  it('completion.p95 on a rare scenario whose candidate fails every second stream: not a pass', async () => {
    const main = pairs(40_000, (i) => ({ completionMs: jitter(i) }), (i) => ({ completionMs: jitter(i) }), 'main');
    const rare = pairs(240, (i) => ({ completionMs: jitter(i) }), (i) => (i % 2 ? failed : { completionMs: jitter(i) }), 'rare');
    const all = [...main, ...rare];
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'rare' }], { minSamples: 100 });
    const v = evaluatePolicy(policy, runOf(all), all.map(gatePair), NOW);
    expect(v.status, v.reasons.join('\n')).toBe('fail');
    expect(v.gates.find((g) => g.id === 'failed-requests@rare')?.status).toBe('fail');
  });

  it('a scope whose candidate fails no more than its baseline adds nothing: still a pass', async () => {
    const main = pairs(400, (i) => ({ completionMs: jitter(i) }), (i) => ({ completionMs: jitter(i) }), 'main');
    const rare = pairs(240, (i) => (i % 2 ? failed : { completionMs: jitter(i) }), (i) => (i % 2 ? failed : { completionMs: jitter(i) }), 'rare');
    const all = [...main, ...rare];
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline', scenario: 'rare' }], { minSamples: 100 });
    const v = evaluatePolicy(policy, runOf(all), all.map(gatePair), NOW);
    expect(v.status, v.reasons.join('\n')).toBe('pass');
  });
});

describe('parity validate lists the scoped guards with the gates', () => {
  it('seed-003-cutover-endpoints: one failed-requests@route per latency-gated route', async () => {
    const { runCli } = await import('../helpers/cli.ts');
    const r = await runCli(['validate', 'scenarios/seed-003-express-to-fastapi.config.yaml', '--policy', 'seed-003-cutover-endpoints']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fail failed-requests@route:GET /api/health: the same over route GET /api/health');
  });
});
