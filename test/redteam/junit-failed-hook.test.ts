import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import type { HookResult } from '../../harness/run/result.ts';
import { pairs, policyOf, runOf } from '../helpers/gates.ts';

interface Case { '@_name': string; failure?: { '@_message': string } }
interface Suite { '@_name': string; testcase: Case[] }
const parse = (xml: string) => (new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(xml) as { testsuites: { '@_failures': string; testsuite: Suite[] } }).testsuites;

const hook = (over: Partial<HookResult>): HookResult => ({
  on: 'pass', kind: 'exec', target: './promote.sh', ok: true, dryRun: false, exitCode: 0, httpStatus: null, attempts: 1, timedOut: false, durationMs: 40, stdoutTail: '', stderrTail: '', ...over,
});

/**
 * A pass whose promote hook failed exits 4 ("verdict reached, hook failed"), but junit.xml held
 * only the gates, all passing: a CI that reads the test report showed a green release that never
 * happened. The hooks that ran are now a testsuite of their own, a failed one a <failure>.
 */
describe('junit.xml shows a hook that failed', () => {
  const ps = pairs(200, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
  const judged = async () => {
    const policy = await policyOf([{ metric: 'completion.p95', threshold: '<= 1.2x baseline' }], { minSamples: 50 });
    const run = runOf(ps);
    const verdict = evaluatePolicy(policy, run, ps.map(gatePair), new Date(0));
    expect(verdict.status).toBe('pass');
    return { ...run, verdict };
  };

  it('a pass whose promotion failed: the hooks suite has a failure naming the hook and its exit code', async () => {
    const failed = hook({ ok: false, exitCode: 1, stderrTail: 'kubectl: deployment "chat" not found', error: 'exit code 1' });
    const root = parse(renderJunit({ ...(await judged()), hooks: [failed] }));
    expect(Number(root['@_failures'])).toBe(1);
    const hooks = root.testsuite.find((s) => s['@_name'] === 'hooks')!;
    expect(hooks.testcase).toHaveLength(1);
    expect(hooks.testcase[0]!['@_name']).toBe('onPass[0] exec ./promote.sh');
    expect(hooks.testcase[0]!.failure!['@_message']).toBe('hook failed: exit code 1; verdict pass reached, its onPass hook did not act (exit 4)');
  });

  it('a promotion that succeeded stays green; dry runs (nothing acted) add no testsuite', async () => {
    const ok = parse(renderJunit({ ...(await judged()), hooks: [hook({})] }));
    expect(Number(ok['@_failures'])).toBe(0);
    expect(ok.testsuite.map((s) => s['@_name'])).toContain('hooks');
    const dry = parse(renderJunit({ ...(await judged()), hooks: [hook({ dryRun: true, exitCode: null })] }));
    expect(dry.testsuite.map((s) => s['@_name'])).not.toContain('hooks');
    expect(Number(dry['@_failures'])).toBe(0);
  });
});
