import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { renderContracts } from '../../harness/reporters/contracts.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { runParity } from '../../harness/run/engine.ts';
import { AUTH, envTargets, startPair, type FixturePair } from '../helpers/contracts.ts';

/**
 * A capture that finds nothing stops the flow run: the steps after it are reported as skipped
 * and never sent, on any side (an id sent as "" would only measure the harness's mistake). The
 * candidate renames `lot_code` to `lotCode`, so its `code` capture fails at create.
 */
let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function config(noise: boolean): ConfigInput {
  return {
    targets: envTargets('old', 'new'),
    contracts: {
      noise,
      flows: [
        {
          name: 'lots',
          repeat: 4,
          steps: [
            { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } },
            { name: 'create', route: 'POST /api/lots', headers: AUTH, body: { lot_code: 'L-{{unique}}', lot_type: 'RAW' }, capture: { lot_id: '$.id', code: '$.lot_code' } },
            { name: 'get', route: 'GET /api/lots/{{lot_id}}', headers: AUTH },
            { name: 'duplicate', route: 'POST /api/lots', headers: AUTH, body: { lot_code: '{{code}}', lot_type: 'RAW' }, expect: { status: 409 } },
          ],
        },
      ],
    },
  };
}

describe('a failed capture stops the flow', () => {
  it('later steps are reported "skipped: capture code failed" and never sent, on either side', async () => {
    pair = await startPair({ renamedField: true });
    const out = await runParity(await resolveConfig(config(true), 'capture.config.json', pair.env), { outDir: mkdtempSync(path.join(tmpdir(), 'parity-capture-')) });
    const steps = out.result.contracts!;
    const by = Object.fromEntries(steps.map((s) => [s.step, s]));
    expect(by.create!.pairs).toBe(4);
    expect(by.create!.failures).toContainEqual({ role: 'candidate', message: 'capture code: $.lot_code not found in the response', count: 4 });
    for (const name of ['get', 'duplicate']) {
      expect(by[name]).toMatchObject({ pairs: 0, drifted: 0, skipped: 4, failures: [{ role: 'candidate', message: 'skipped: capture code failed', count: 4 }] });
    }
    // Login and create only, in 4 flow runs: never a request with an empty value.
    expect(pair.candidate.requests).toBe(4 * 2);
    // The baseline and its noise replica stopped too (the pair cannot be compared without them).
    expect(pair.baseline.requests).toBe(4 * 2 * 2);
    expect(renderContracts(steps, { color: false, baseline: 'old', candidate: 'new' })).toMatch(/✖ lots\/get\s+0 pairs, 0 drifted, 4 skipped/);
    expect(renderMarkdown(out.result)).toContain('0 (4 flow runs skipped: capture code failed)');
    expect(renderJunit(out.result)).toContain('not sent in 4 flow runs: an earlier capture failed');
    const md = await readFile(path.join(out.dir, by.get!.artifact!), 'utf8');
    expect(md).toContain('new (4×): skipped: capture code failed');
  });

  it('a clean candidate: every step sent, nothing skipped', async () => {
    pair = await startPair();
    const out = await runParity(await resolveConfig(config(false), 'capture.config.json', pair.env), { outDir: mkdtempSync(path.join(tmpdir(), 'parity-capture-')) });
    const steps = out.result.contracts!;
    expect(steps.map((s) => [s.step, s.pairs, s.skipped])).toEqual([
      ['login', 4, undefined],
      ['create', 4, undefined],
      ['get', 4, undefined],
      ['duplicate', 4, undefined],
    ]);
    expect(pair.candidate.requests).toBe(4 * 4);
    // Echo-aware, without noise learning: "lot_code L-<this side's unique> already exists" and the
    // echoed lot_code are mapped to {{code}} on each side, so they compare equal.
    const dup = steps.find((s) => s.step === 'duplicate')!;
    expect(dup.drift).toEqual([]);
    const get = steps.find((s) => s.step === 'get')!;
    // Its id and lot_code echo this side's own values; only the timestamp may differ (same-millisecond answers match).
    expect(get.drift.filter((d) => d.pointer !== '/created_at')).toEqual([]);
  });
});
