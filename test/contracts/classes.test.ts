import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContractDrifts } from '../../fixtures/backends/contract-backend.ts';
import { main } from '../../harness/cli.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { captureIO } from '../helpers/cli.ts';
import { policyOf, runOf } from '../helpers/gates.ts';
import { packConfig, PACK, startPair, type FixturePair } from '../helpers/contracts.ts';

/**
 * Drift classes from real fixture drifts, through the shipped pack with noise learning: a renamed
 * field is a breaking `missing` plus an additive `extra`, a type change is breaking, an extra field
 * additive, a changed message a value drift. Gates read them as contract_drift.<class>.
 */
let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function runPack(drifts: ContractDrifts, adjust: (cfg: ReturnType<typeof packConfig>) => void = () => undefined) {
  pair = await startPair(drifts);
  const cfg = packConfig();
  cfg.contracts.flows[0]!.repeat = 3;
  adjust(cfg);
  const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: mkdtempSync(path.join(tmpdir(), 'parity-classes-')) });
  return out.result.contracts!;
}

const rows = (steps: RunResult['contracts'] & object, step: string) => steps.find((s) => s.step === step)!.drift.map((d) => `${d.pointer} ${d.kind} ${d.class}`);
const total = (steps: RunResult['contracts'] & object) =>
  steps.reduce((t, s) => ({ breaking: t.breaking + s.classes!.breaking, additive: t.additive + s.classes!.additive, value: t.value + s.classes!.value }), { breaking: 0, additive: 0, value: 0 });

describe('drift classes from fixture drifts', () => {
  it('renamed field: breaking missing + additive extra', async () => {
    const steps = await runPack({ renamedField: true });
    expect(rows(steps, 'create_lot')).toEqual(['/lot_code missing breaking', '/lotCode extra additive']);
    expect(steps.find((s) => s.step === 'create_lot')!.classes).toEqual({ breaking: 3, additive: 3, value: 0 });
  });

  it('type change: breaking', async () => {
    const steps = await runPack({ numericId: true });
    expect(rows(steps, 'create_lot')).toEqual(['/id type breaking']);
    // The value rows: the id inside get_lot's Link and qc_decision's Location URLs.
    expect(total(steps)).toEqual({ breaking: 12, additive: 0, value: 6 });
  });

  it('extra field: additive only', async () => {
    const steps = await runPack({ extraField: true });
    expect(rows(steps, 'get_lot')).toEqual(['/warehouse extra additive']);
    expect(total(steps)).toEqual({ breaking: 0, additive: 9, value: 0 });
  });

  it('value change: value only', async () => {
    const steps = await runPack({ messageChange: true });
    expect(rows(steps, 'missing_field')).toEqual(['/error value value']);
    expect(total(steps)).toEqual({ breaking: 0, additive: 0, value: 6 });
  });

  it('an enum constant in another case, a status change, a media type change: breaking', async () => {
    expect(rows(await runPack({ enumCase: true }), 'create_lot')).toEqual(['/status value breaking']);
    await pair!.close();
    expect(rows(await runPack({ status422: true }), 'missing_field')).toEqual([' status breaking']);
    await pair!.close();
    expect(rows(await runPack({ headerChange: true }), 'get_lot')).toEqual(['/content-type header breaking']);
  });

  it('a rule may declare a removal acceptable: classes per pointer and kind', async () => {
    const steps = await runPack({ renamedField: true }, (cfg) => {
      cfg.contracts.rules = { ...cfg.contracts.rules, classes: { '/**/lot_code': { missing: 'additive' } } };
    });
    expect(rows(steps, 'create_lot')).toEqual(['/lotCode extra additive', '/lot_code missing additive']);
    expect(total(steps).breaking).toBe(0);
  });
});

describe('gates on contract_drift.<class>', () => {
  function workspace(drifts: string) {
    const dir = mkdtempSync(path.join(tmpdir(), `parity-class-gate-${drifts}-`));
    const cfg = packConfig();
    cfg.contracts.flows[0]!.repeat = 3;
    writeFileSync(path.join(dir, 'lots.config.json'), JSON.stringify(cfg));
    // Fail on breaking changes, warn on additive ones (oasdiff-style).
    writeFileSync(
      path.join(dir, 'policy.yaml'),
      ['minSamples: 1', 'gates:', '  - metric: contract_drift.breaking', '    threshold: <= 0', '  - metric: contract_drift.additive', '    threshold: <= 0', '    severity: warn', ''].join('\n'),
    );
    return dir;
  }
  const verdictOf = (dir: string) => {
    const [run] = readdirSync(path.join(dir, 'reports'));
    return (JSON.parse(readFileSync(path.join(dir, 'reports', run!, 'run.json'), 'utf8')) as RunResult).verdict!;
  };

  it('an additive-only drift: the breaking gate passes, the additive gate fails (as a warning), the verdict passes', async () => {
    pair = await startPair({ extraField: true });
    const dir = workspace('extra');
    const io = captureIO(pair.env);
    expect(await main(['run', path.join(dir, 'lots.config.json'), '--policy', path.join(dir, 'policy.yaml'), '--out', path.join(dir, 'reports'), '--quiet'], io.io)).toBe(0);
    const v = verdictOf(dir);
    expect(v.status).toBe('pass');
    expect(v.gates.filter((g) => g.id !== 'failed-requests').map((g) => [g.metric, g.status, g.value])).toEqual([
      ['contract_drift.breaking', 'pass', 0],
      ['contract_drift.additive', 'fail', 9],
    ]);
  });

  it('a breaking drift fails the verdict', async () => {
    pair = await startPair({ renamedField: true });
    const dir = workspace('renamed');
    const io = captureIO(pair.env);
    expect(await main(['run', path.join(dir, 'lots.config.json'), '--policy', path.join(dir, 'policy.yaml'), '--out', path.join(dir, 'reports'), '--quiet'], io.io)).toBe(1);
    const v = verdictOf(dir);
    expect(v.status).toBe('fail');
    expect(v.gates.find((g) => g.metric === 'contract_drift.breaking')).toMatchObject({ status: 'fail', value: 9 });
  });
});

describe('contract_drift.<class> never passes on a run.json without classes', () => {
  it('drifted steps without classes (written before drift classes existed): no data, inconclusive', async () => {
    const step = (drifted: number, classes?: { breaking: number; additive: number; value: number }) => ({
      scenario: 'lots',
      step: 'get',
      pairs: 40,
      identical: 40 - drifted,
      drifted,
      drift: [],
      noise: [],
      assertionFailures: { baseline: 0, candidate: 0 },
      artifact: null,
      curl: null,
      ...(classes ? { classes } : {}),
    });
    const policy = await policyOf([{ metric: 'contract_drift.breaking', threshold: '<= 0' }], { minSamples: 1 });
    const judge = (contracts: ReturnType<typeof step>[]) => evaluatePolicy(policy, runOf([], { contracts }), []);
    expect(judge([step(5)]).gates[0]).toMatchObject({ status: 'inconclusive', value: null });
    expect(judge([step(5)]).status).not.toBe('pass');
    expect(judge([step(0)]).gates[0]).toMatchObject({ status: 'pass', value: 0 });
    expect(judge([step(5, { breaking: 0, additive: 5, value: 0 })]).gates[0]).toMatchObject({ status: 'pass', value: 0 });
    expect(judge([step(5, { breaking: 2, additive: 5, value: 0 })]).gates[0]).toMatchObject({ status: 'fail', value: 2 });
  });
});
