import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../harness/gates/load.ts';
import { gatePair } from '../../harness/gates/metrics.ts';
import { applyPolicy } from '../../harness/pipeline/judge.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { captureIO } from '../helpers/cli.ts';
import { pairs, runOf, tempDir } from '../helpers/gates.ts';

/**
 * `parity gate --dry-run` previews a verdict. Over a run whose promotion really fired, it rewrote
 * run.json with the previewed verdict and "dry run" hooks: the record of what happened (the
 * verdict acted on, the hook that ran and its result) was gone from run.json. It now stays; the
 * preview is printed and logged in the audit.
 */
describe('a dry run over a run whose hooks ran', () => {
  it('leaves run.json as the record: the verdict acted on and the hooks that fired', async () => {
    const dir = tempDir();
    const mark = path.join(dir, 'promoted');
    const promote = `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'yes')", ${JSON.stringify(mark)}]`;
    const lenient = path.join(dir, 'lenient.yaml');
    writeFileSync(lenient, `minSamples: 1\ngates:\n  - { metric: completion.p95, threshold: "<= 1s" }\nhooks:\n  onPass:\n    - exec: ${promote}\n`);
    const strict = path.join(dir, 'strict.yaml');
    writeFileSync(strict, `minSamples: 1\ngates:\n  - { metric: completion.p95, threshold: "<= 50ms" }\nhooks:\n  onFail:\n    - exec: ${promote}\n`);
    const ps = pairs(20, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
    const runJson = path.join(dir, 'run-1', 'run.json');
    mkdirSync(path.dirname(runJson));
    writeFileSync(runJson, JSON.stringify(runOf(ps)));

    const real = captureIO({});
    expect(await applyPolicy({ run: runOf(ps), pairs: ps.map(gatePair), runJson, policy: await loadPolicy(lenient, {}), dryRun: false }, real.io)).toBe(0);
    expect(readFileSync(mark, 'utf8')).toBe('yes');
    const recorded = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    expect(recorded.verdict!.status).toBe('pass');
    expect(recorded.hooks).toMatchObject([{ on: 'pass', ok: true, dryRun: false }]);

    const preview = captureIO({});
    const code = await applyPolicy({ run: recorded, pairs: ps.map(gatePair), runJson, policy: await loadPolicy(strict, {}), dryRun: true }, preview.io);
    expect(code).toBe(1);
    expect(preview.out).toMatch(/FAIL/);
    expect(preview.err).toMatch(/dry run: .*run\.json keeps the verdict and hooks that ran/);
    const after = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    expect(after.verdict).toEqual(recorded.verdict);
    expect(after.hooks).toEqual(recorded.hooks);
    // The preview is in the audit log, marked as a dry run.
    const audit = readFileSync(path.join(dir, 'audit.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; dryRun?: boolean; verdict?: string });
    expect(audit.some((a) => a.type === 'verdict' && a.dryRun === true && a.verdict === 'fail')).toBe(true);
  });

  it('a dry run over a run no hook ran for still records its verdict (as parity run --dry-run does)', async () => {
    const dir = tempDir();
    const policy = path.join(dir, 'p.yaml');
    writeFileSync(policy, 'minSamples: 1\ngates:\n  - { metric: completion.p95, threshold: "<= 1s" }\n');
    const ps = pairs(20, () => ({ completionMs: 100 }), () => ({ completionMs: 100 }));
    const runJson = path.join(dir, 'run-1', 'run.json');
    mkdirSync(path.dirname(runJson));
    writeFileSync(runJson, JSON.stringify(runOf(ps)));
    expect(await applyPolicy({ run: runOf(ps), pairs: ps.map(gatePair), runJson, policy: await loadPolicy(policy, {}), dryRun: true }, captureIO({}).io)).toBe(0);
    expect((JSON.parse(readFileSync(runJson, 'utf8')) as RunResult).verdict!.status).toBe('pass');
  });
});
