import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { packConfig, PACK, startPair, type FixturePair } from '../helpers/contracts.ts';

let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const outDir = () => mkdtempSync(path.join(tmpdir(), 'parity-flows-'));

describe('captures', () => {
  it('a token captured at login is used by the next steps on the same target and never crosses to the other', async () => {
    pair = await startPair();
    const cfg = packConfig();
    cfg.contracts.flows[0]!.repeat = 10;
    const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: outDir() });
    const { baseline: b, candidate: c } = pair;
    // 10 logins on the candidate; 20 on the baseline (the noise replica logs in on its own).
    expect(c.issuedTokens.size).toBe(10);
    expect(b.issuedTokens.size).toBe(20);
    const used = (f: typeof b) => f.receivedTokens.filter((t) => t !== 'not-a-token');
    // Seven authorized steps per flow, each with the token of its own target's login.
    expect(used(c)).toHaveLength(70);
    expect(used(b)).toHaveLength(140);
    expect(used(c).every((t) => c.issuedTokens.has(t))).toBe(true);
    expect(used(b).every((t) => b.issuedTokens.has(t))).toBe(true);
    expect(used(c).some((t) => b.issuedTokens.has(t))).toBe(false);
    expect(used(b).some((t) => c.issuedTokens.has(t))).toBe(false);
    // Each login's token serves its own flow run: as many distinct tokens used as logins.
    expect(new Set(used(c)).size).toBe(10);
    expect(out.result.contracts!.find((s) => s.step === 'get_lot')!.assertionFailures).toEqual({ baseline: 0, candidate: 0 });
  });

  it('a capture that finds nothing is an assertion failure on that target only', async () => {
    pair = await startPair({ renamedField: true });
    const cfg = packConfig();
    cfg.contracts.flows = [
      {
        name: 'codes',
        steps: [
          { name: 'login', route: 'POST /api/login', body: { email: 'a@b.c' }, capture: { token: '$.token' } },
          { name: 'create', route: 'POST /api/lots', headers: { authorization: 'Bearer {{token}}' }, body: { lot_code: 'C-{{unique}}', lot_type: 'RAW' }, capture: { code: '$.lot_code' } },
        ],
      },
    ];
    const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: outDir() });
    const create = out.result.contracts!.find((s) => s.step === 'create')!;
    expect(create.assertionFailures).toEqual({ baseline: 0, candidate: 1 });
    expect(create.failures![0]).toMatchObject({ role: 'candidate', message: 'capture code: $.lot_code not found in the response' });
  });
});

describe('multi-turn stream flow (seed 002: "Remember this: blue elephant")', () => {
  it('asserts recall of an earlier turn on both targets', async () => {
    pair = await startPair();
    const cfg = packConfig();
    cfg.contracts.flows = cfg.contracts.flows.filter((f) => f.name === 'chat-memory');
    cfg.contracts.flows[0]!.repeat = 4;
    const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: outDir() });
    const recall = out.result.contracts!.find((s) => s.step === 'recall')!;
    expect(recall.pairs).toBe(4);
    expect(recall.assertionFailures).toEqual({ baseline: 0, candidate: 0 });
    expect(recall.drifted).toBe(0);
  });

  it('a candidate that forgets fails the recall assertion, the baseline does not', async () => {
    pair = await startPair({ forgetful: true });
    const cfg = packConfig();
    cfg.contracts.flows = cfg.contracts.flows.filter((f) => f.name === 'chat-memory');
    cfg.contracts.flows[0]!.repeat = 4;
    const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: outDir() });
    const recall = out.result.contracts!.find((s) => s.step === 'recall')!;
    expect(recall.assertionFailures).toEqual({ baseline: 0, candidate: 4 });
    expect(recall.failures![0]!.message).toMatch(/streamed text does not contain "blue elephant": I do not remember/);
    expect(out.result.contracts!.find((s) => s.step === 'remember')!.assertionFailures).toEqual({ baseline: 0, candidate: 0 });
  });
});

describe('read-back', () => {
  it('a fetched lot must carry what the create step returned', async () => {
    pair = await startPair({ enumCase: true });
    const cfg = packConfig();
    const steps = cfg.contracts.flows[0]!.steps;
    // Compare the traceability lot with the created one: its status changed after QC on both sides.
    steps.push({ name: 'trace_again', route: 'GET /api/lots/{{lot_id}}', headers: { authorization: 'Bearer {{token}}' }, readBack: { step: 'create_lot', paths: ['$.lot_type', '$.status'] } });
    cfg.contracts.flows[0]!.repeat = 2;
    const out = await runParity(await resolveConfig(cfg, PACK, pair.env), { outDir: outDir() });
    const rb = out.result.contracts!.find((s) => s.step === 'trace_again')!;
    expect(rb.assertionFailures).toEqual({ baseline: 2, candidate: 2 });
    expect(rb.failures!.find((f) => f.role === 'baseline')!.message).toBe('read-back $.status: "RELEASED", but step "create_lot" returned "OPEN"');
    expect(out.result.contracts!.find((s) => s.step === 'get_lot')!.assertionFailures).toEqual({ baseline: 0, candidate: 0 });
  });
});
