import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { failingRun, plainRun } from './fixtures.ts';

interface TestCase {
  '@_name': string;
  failure?: { '@_message': string };
  error?: { '@_message': string };
  'system-out'?: string;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  testcase: TestCase[];
}
const parse = (xml: string) => {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
  return doc.testsuites as { '@_failures': string; testsuite: Suite[] };
};

describe('junit.xml', () => {
  const run = failingRun();
  const root = parse(renderJunit(run));
  const gates = run.verdict!.gates;
  const failedGates = gates.filter((g) => g.status === 'fail' && g.severity === 'fail');

  it('has one testsuite for the policy with one testcase per gate', () => {
    const policy = root.testsuite.find((s) => s['@_name'] === 'policy release-gates')!;
    expect(policy.testcase.map((t) => t['@_name'])).toEqual(gates.map((g) => `${g.id}: ${g.description}`));
    expect(Number(policy['@_tests'])).toBe(gates.length);
  });

  it('counts exactly the failed gates as failures, each saying observed vs limit', () => {
    const policy = root.testsuite.find((s) => s['@_name'] === 'policy release-gates')!;
    const failures = policy.testcase.filter((t) => t.failure);
    expect(failedGates.length).toBeGreaterThan(0);
    expect(failures).toHaveLength(failedGates.length);
    expect(Number(policy['@_failures'])).toBe(failedGates.length);
    for (const f of failures) expect(f.failure!['@_message']).toMatch(/observed [+-]?[\d.]+(×| pp).* vs limit [+-]?[\d.]+(×| pp)/);
    // The inconclusive gate is an error, and the failed warn-severity gate is not a failure.
    expect(policy.testcase.filter((t) => t.error)).toHaveLength(gates.filter((g) => g.status === 'inconclusive').length);
    const warn = gates.find((g) => g.severity === 'warn')!;
    const warnCase = policy.testcase.find((t) => t['@_name'].startsWith(`${warn.id}:`))!;
    expect(warnCase.failure).toBeUndefined();
    if (warn.status === 'fail') expect(warnCase['system-out']).toContain('WARN');
  });

  it('has one testcase per contract step, failing on drift with the curl reproduction', () => {
    const contracts = root.testsuite.find((s) => s['@_name'] === 'contracts')!;
    expect(contracts.testcase).toHaveLength(run.contracts!.length);
    const drifted = contracts.testcase.filter((t) => t.failure);
    expect(drifted).toHaveLength(run.contracts!.filter((s) => s.drifted > 0).length);
    expect(drifted[0]!.failure!['@_message']).toBe('9 of 40 pairs drifted at /session/created_at, /session/messages/0/citations');
    // ...plus the failed hooks (the hooks testsuite).
    expect(Number(root['@_failures'])).toBe(failedGates.length + drifted.length + run.hooks!.filter((h) => !h.ok && !h.dryRun).length);
    expect(renderJunit(run)).toContain('curl -sS -X GET');
  });

  it('without a policy, has one testcase saying the run completed', () => {
    const plain = parse(renderJunit(plainRun()));
    expect(plain.testsuite).toHaveLength(1);
    expect(plain.testsuite[0]!.testcase).toHaveLength(1);
    expect(plain.testsuite[0]!['@_name']).toContain('no policy evaluated');
    expect(plain['@_failures']).toBe('0');
    const incomplete = parse(renderJunit({ ...plainRun(), complete: false, incompleteReason: 'interrupted' }));
    expect(incomplete.testsuite[0]!.testcase[0]!.error!['@_message']).toBe('run incomplete: interrupted');
  });
});
