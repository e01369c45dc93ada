import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import type { ContractDrifts } from '../../fixtures/backends/contract-backend.ts';
import { driftList, packConfig, PACK, startPair, type FixturePair } from '../helpers/contracts.ts';

/**
 * The shipped pack (scenarios/contracts/lots.config.yaml), noise learning on, against a clean
 * baseline and a candidate carrying exactly one drift: the run must report exactly that drift, at
 * every step whose response carries the drifted field, and nothing else.
 */
const EXPECTED: Record<string, string[]> = {
  renamedField: [
    'lots/create_lot /lotCode extra',
    'lots/create_lot /lot_code missing',
    'lots/get_lot /lotCode extra',
    'lots/get_lot /lot_code missing',
    'lots/traceability /lot/lotCode extra',
    'lots/traceability /lot/lot_code missing',
  ],
  numericId: [
    'lots/create_lot /id type',
    'lots/get_lot /id type',
    'lots/qc_decision /lot_id type',
    'lots/traceability /lot/id type',
    'lots/traceability /qc_decisions/*/lot_id type',
    // The URLs carry the id too: ".../lots/1/qc" against ".../lots/<uuid>/qc" (a number is mapped
    // to its placeholder only as a whole value, never inside a string).
    'lots/get_lot /link header',
    'lots/qc_decision /location header',
  ],
  enumCase: ['lots/create_lot /status value', 'lots/get_lot /status value', 'lots/traceability /lot/status value'],
  extraField: ['lots/create_lot /warehouse extra', 'lots/get_lot /warehouse extra', 'lots/traceability /lot/warehouse extra'],
  status422: ['lots/missing_field  status'],
  headerChange: ['lots/get_lot /content-type header'],
  // Its value is fresh on every call (learned as noise); its absence is drift all the same.
  dropTraceHeader: ['health', 'login', 'create_lot', 'get_lot', 'qc_decision', 'traceability', 'missing_field', 'duplicate', 'not_found', 'bad_auth'].map(
    (s) => `lots/${s} /x-trace-id header_missing`,
  ),
  // The duplicate message names this side's own lot_code ({{unique}}): mapped to one placeholder
  // on each side, it is compared, not learned as noise, so the rewording shows.
  messageChange: ['lots/duplicate /error value', 'lots/missing_field /error value'],
};

let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function runPack(drifts: ContractDrifts) {
  pair = await startPair(drifts);
  const cfg = packConfig();
  cfg.contracts.flows[0]!.repeat = 3;
  const loaded = await resolveConfig(cfg, PACK, pair.env);
  const out = await runParity(loaded, { outDir: mkdtempSync(path.join(tmpdir(), 'parity-drift-')) });
  return { out, contracts: out.result.contracts! };
}

describe('each drift alone is reported exactly, and nothing else', () => {
  it('a clean candidate: no drift, no assertion failure', async () => {
    const { contracts } = await runPack({});
    expect(driftList(contracts)).toEqual([]);
    expect(contracts.every((s) => s.assertionFailures.baseline === 0 && s.assertionFailures.candidate === 0)).toBe(true);
    expect(contracts.find((s) => s.step === 'create_lot')!.identical).toBe(3);
  });

  for (const [drift, expected] of Object.entries(EXPECTED)) {
    it(drift, async () => {
      const { contracts } = await runPack({ [drift]: true });
      expect(driftList(contracts)).toEqual([...expected].sort());
      for (const s of contracts) {
        const drifts = s.drift.length > 0;
        expect(s.drifted).toBe(drifts ? s.pairs : 0);
        // Every drift is found in every pair, with both sides' values as the example.
        for (const d of s.drift) expect(d.count).toBe(s.pairs);
      }
    });
  }

  it('a type drift keeps both values as its example', async () => {
    const { contracts } = await runPack({ numericId: true });
    const d = contracts.find((s) => s.step === 'create_lot')!.drift[0]!;
    expect(typeof d.example.baseline).toBe('string');
    expect(typeof d.example.candidate).toBe('number');
  });

  it('a non-JSON answer where JSON was expected is a reported difference, not a crash', async () => {
    const { out, contracts } = await runPack({ htmlNotFound: true });
    // The HTML page comes from another layer: no JSON, another media type, no trace header.
    expect(driftList(contracts)).toEqual(['lots/not_found  type', 'lots/not_found /content-type header', 'lots/not_found /x-trace-id header_missing']);
    const step = contracts.find((s) => s.step === 'not_found')!;
    expect(step.assertionFailures).toEqual({ baseline: 0, candidate: 3 });
    expect(step.failures![0]!.message).toMatch(/expected a JSON body, got text\/html/);
    expect(out.result.complete).toBe(true);
    // The artifact for PR review: the differences and a curl reproduction with the token redacted.
    const md = await readFile(path.join(out.dir, step.artifact!), 'utf8');
    expect(md).toContain('| `(root)` | breaking | type | 3 |');
    expect(md).toMatch(/curl -sS -i -X GET '.*\/api\/lots\/no-such-lot' -H 'authorization: \[redacted\]'/);
    expect(step.curl).toContain('[redacted]');
    expect(md).not.toMatch(/Bearer [0-9a-f]{32}/);
  });
});

describe('credentials in drift examples', () => {
  it('a drifted token shows its type, never its value', async () => {
    pair = await startPair();
    const cfg = packConfig();
    // Without noise learning the login token is a value drift: its example must not leak the tokens.
    cfg.contracts.noise = false;
    cfg.contracts.flows = [{ name: 'auth', steps: [{ name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } }] }];
    const loaded = await resolveConfig(cfg, PACK, pair.env);
    const out = await runParity(loaded, { outDir: mkdtempSync(path.join(tmpdir(), 'parity-drift-')) });
    const d = out.result.contracts![0]!.drift.find((x) => x.pointer === '/token')!;
    expect(d.example).toMatchObject({ kind: 'value', baseline: '[redacted string]', candidate: '[redacted string]' });
    const runJson = await readFile(out.runJson, 'utf8');
    for (const t of [...pair.baseline.issuedTokens, ...pair.candidate.issuedTokens]) expect(runJson).not.toContain(t);
    const md = await readFile(path.join(out.dir, out.result.contracts![0]!.artifact!), 'utf8');
    for (const t of pair.candidate.issuedTokens) expect(md).not.toContain(t);
  });
});
