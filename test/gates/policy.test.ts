import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../harness/errors.ts';
import { isWarnOnly, listPresets, loadPolicy, resolvePolicyRef } from '../../harness/gates/load.ts';
import { METRICS } from '../../harness/gates/metrics.ts';
import { parseThreshold, thresholdFor, ThresholdError } from '../../harness/gates/threshold.ts';
import { tempDir } from '../helpers/gates.ts';

const metric = (name: string) => METRICS.get(name)!;

describe('threshold strings', () => {
  it('reads absolute limits into base units', () => {
    expect(thresholdFor('<= 1500ms', metric('completion.p95'))).toMatchObject({ op: '<=', comparison: 'absolute', limit: 1500 });
    expect(thresholdFor('< 1.5s', metric('completion.p95'))).toMatchObject({ op: '<', limit: 1500 });
    expect(thresholdFor('< 5m', metric('completion.p99'))).toMatchObject({ limit: 300_000 });
    // "500m" is 500 minutes: a mistyped "500ms" that passed every candidate is refused, with the fix.
    expect(() => thresholdFor('<= 500m', metric('completion.p95'))).toThrow(/"500m" reads as 500 minutes \(8\.3 h\), a limit no latency reaches; for milliseconds write "500ms"/);
    expect(() => thresholdFor('<= baseline + 100m', metric('completion.p95'))).toThrow(ThresholdError);
    expect(thresholdFor('<= 1%', metric('error_rate'))).toMatchObject({ comparison: 'absolute', limit: 0.01 });
    expect(thresholdFor('>= 95%', metric('citation_presence'))).toMatchObject({ op: '>=', limit: 0.95 });
    expect(thresholdFor('≤ 0', metric('contract_drift'))).toMatchObject({ op: '<=', limit: 0 });
  });

  it('reads ratios, floors and deltas', () => {
    expect(thresholdFor('<= 1.20x baseline', metric('completion.p95'))).toMatchObject({ comparison: 'ratio', limit: 1.2 });
    expect(thresholdFor('<= 1.2 × baseline', metric('completion.p95'))).toMatchObject({ comparison: 'ratio', limit: 1.2 });
    expect(thresholdFor('<= 1.20x baseline or <= baseline + 50ms', metric('completion.p95'))).toMatchObject({
      comparison: 'ratio',
      limit: 1.2,
      floor: { op: '<=', limit: 50 },
    });
    expect(thresholdFor('<= +0.5pp', metric('interruption_rate'))).toMatchObject({ comparison: 'delta', limit: 0.005 });
    expect(thresholdFor('>= -2pp', metric('citation_presence'))).toMatchObject({ op: '>=', comparison: 'delta', limit: -0.02 });
    expect(thresholdFor('<= baseline + 100ms', metric('completion.p95'))).toMatchObject({ comparison: 'delta', limit: 100 });
    expect(thresholdFor('<= 2x baseline or <= baseline + 0.5pp', metric('error_rate')).floor).toEqual({ op: '<=', limit: 0.005 });
  });

  it.each([
    ['p95 under 1500', /cannot read threshold/],
    ['<= 1500 ms or <= 2s', /"or" only follows a ratio/],
    ['<= 1.2x baseline or >= baseline + 5ms', /other side/],
    ['<= 1.2x baseline or <= 5ms', /cannot read the floor/],
    ['=< 1%', /cannot read threshold/],
  ])('rejects malformed "%s"', (text, message) => {
    expect(() => parseThreshold(text)).toThrow(message);
  });

  it.each([
    ['completion.p95', '<= 1500', /milliseconds; write the value with a unit/],
    ['error_rate', '<= 0.01', /write the limit as a percentage/],
    // The fix it names must itself be accepted: "<= +1pp", not "<= baseline + 1%" (refused below).
    ['error_rate', '<= +1%', /signed value is a delta; a rate's change to the baseline is in percentage points: write "<= \+1pp"$/],
    ['error_rate', '<= baseline + 1%', /percentage points/],
    ['error_rate', '<= 150%', /within 0%\.\.100%/],
    ['contract_drift', '<= 1.5', /whole number/],
    ['contract_drift', '<= 1.2x baseline', /no baseline value/],
    ['dropped_iterations', '<= +1pp', /no baseline value/],
    ['assertion_failures', '<= 2x baseline', /absolute thresholds only/],
  ])('%s "%s" does not fit the metric', (name, text, message) => {
    expect(() => thresholdFor(text, metric(name))).toThrow(ThresholdError);
    expect(() => thresholdFor(text, metric(name))).toThrow(message);
  });
});

describe('policy files', () => {
  const write = (body: string, name = 'policy.yaml') => {
    const file = path.join(tempDir(), name);
    writeFileSync(file, body);
    return file;
  };
  const configError = async (file: string): Promise<ConfigError> => {
    const err = await loadPolicy(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  };

  it('an unknown metric is a config error naming file and path, listing the valid metrics', async () => {
    const file = write('gates:\n  - metric: error_rate\n    threshold: <= 1%\n  - metric: completon.p95\n    threshold: <= 1.2x baseline\n');
    const err = await configError(file);
    expect(err.file).toContain('policy.yaml');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toBe('gates[1].metric');
    expect(err.issues[0]!.message).toContain('unknown metric "completon.p95"');
    expect(err.issues[0]!.message).toContain('did you mean "completion.p95"');
    for (const name of ['completion.p95', 'first_content.p50', 'interruption_rate.reset', 'citation_presence', 'contract_drift', 'dropped_iterations']) {
      expect(err.issues[0]!.message).toContain(name);
    }
    expect(err.message).toMatch(/policy\.yaml: 1 problem; nothing was sent/);
    expect(err.exitCode).toBe(3);
  });

  it('a ratio gate on a metric with no baseline is a config error at the threshold', async () => {
    const err = await configError(write('gates:\n  - metric: contract_drift\n    threshold: <= 1.1x baseline\n'));
    expect(err.issues).toEqual([{ path: 'gates[0].threshold', message: expect.stringContaining('no baseline value') }]);
  });

  it('a malformed threshold is a config error at gates[2].threshold; every problem is reported at once', async () => {
    const err = await configError(
      write(
        [
          'gates:',
          '  - { metric: error_rate, threshold: "<= 1%" }',
          '  - { metric: nope, threshold: "<= 1%" }',
          '  - { metric: completion.p95, threshold: "p95 <= 1.2 times the baseline" }',
          '  - { metric: error_rate, threshold: "<= 1%", severity: fatal }',
        ].join('\n'),
      ),
    );
    // zod shape problems first (severity), then the semantic ones would follow on a fixed file.
    expect(err.issues.map((i) => i.path)).toEqual(['gates[3].severity']);
    const err2 = await configError(
      write(['gates:', '  - { metric: error_rate, threshold: "<= 1%" }', '  - { metric: nope, threshold: "<= 1%" }', '  - { metric: completion.p95, threshold: "p95 <= 1.2 times the baseline" }'].join('\n')),
    );
    expect(err2.issues.map((i) => i.path)).toEqual(['gates[1].metric', 'gates[2].threshold']);
    expect(err2.issues[1]!.message).toContain('cannot read threshold "p95 <= 1.2 times the baseline"');
  });

  it('unknown keys, a shell string without shell: true, and no gate at all are config errors; a warn-only policy loads', async () => {
    const err = await configError(write('gates:\n  - { metric: error_rate, threshold: "<= 1%", thresold: 2 }\nhooks:\n  onFail:\n    - exec: "./rollback.sh --now"\n'));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['gates[0]', 'hooks.onFail[0].exec']);
    expect(err.issues.find((i) => i.path === 'hooks.onFail[0].exec')!.message).toMatch(/shell: true/);
    const none = await configError(write('gates: []\n'));
    expect(none.issues[0]).toMatchObject({ path: 'gates', message: expect.stringContaining('at least one gate') });
    const warnOnly = await loadPolicy(write('gates:\n  - { metric: error_rate, threshold: "<= 1%", severity: warn }\n'), {});
    expect(isWarnOnly(warnOnly)).toBe(true);
  });

  it('a hook env var that is not set is a config error at its path', async () => {
    const file = write('gates:\n  - { metric: error_rate, threshold: "<= 1%" }\nhooks:\n  onFail:\n    webhook: "${PARITY_TEST_UNSET_HOOK_URL}"\n');
    const err = (await loadPolicy(file, {}).catch((e: unknown) => e)) as ConfigError;
    expect(err.issues.map((i) => i.path)).toContain('hooks.onFail[0].webhook');
  });

  it('resolves presets by name and reports unknown names with the list', () => {
    expect(resolvePolicyRef('seed-000-stage-b')).toMatch(/scenarios\/policies\/seed-000-stage-b\.yaml$/);
    expect(() => resolvePolicyRef('seed-000-stage-z')).toThrow(UsageError);
    expect(() => resolvePolicyRef('seed-000-stage-z')).toThrow(/seed-000-stage-b/);
  });

  it('ships every runbook preset, each loading cleanly with a runbook source on every gate', async () => {
    const presets = listPresets();
    for (const p of ['seed-000-stage-a', 'seed-000-stage-b', 'seed-000-stage-c', 'seed-000-stage-d', 'seed-000-stage-e', 'seed-001-node-to-go', 'seed-002-staging-soak', 'seed-002-canary', 'seed-003-cutover', 'seed-004-f1', 'seed-004-f2', 'seed-004-f3']) {
      expect(presets).toContain(p);
    }
    for (const p of presets) {
      const policy = await loadPolicy(p);
      expect(policy.gates.length, p).toBeGreaterThan(0);
      for (const g of policy.gates) expect(g.source, `${p} ${g.id}`).toBeTruthy();
    }
  });

  it('extends: a stage inherits the previous stage\'s gates and adds its own', async () => {
    const c = await loadPolicy('seed-000-stage-c');
    const d = await loadPolicy('seed-000-stage-d');
    expect(d.gates.map((g) => g.id)).toEqual([...c.gates.map((g) => g.id), 'error-budget-burn']);
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.yaml'), 'extends: ./b.yaml\ngates: []\n');
    writeFileSync(path.join(dir, 'b.yaml'), 'extends: ./a.yaml\ngates: []\n');
    const err = (await loadPolicy(path.join(dir, 'a.yaml')).catch((e: unknown) => e)) as ConfigError;
    expect(err.issues[0]!.message).toMatch(/loop/);
  });

  it('loads a TypeScript policy written with definePolicy', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'policy.ts');
    const index = path.resolve('harness/index.ts');
    writeFileSync(file, `import { definePolicy } from ${JSON.stringify(index)};\nexport default definePolicy({ name: 'ts', gates: [{ metric: 'completion.p95', threshold: '<= 1.1x baseline' }] });\n`);
    const p = await loadPolicy(file);
    expect(p.name).toBe('ts');
    expect(p.gates[0]!.threshold).toMatchObject({ comparison: 'ratio', limit: 1.1 });
  });
});
