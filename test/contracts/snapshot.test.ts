import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { packConfig, startPair, type FixturePair } from '../helpers/contracts.ts';
import { captureIO } from '../helpers/cli.ts';

let pair: FixturePair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** The pack, written to a temp folder with its snapshots kept there too. */
function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-snap-'));
  const cfg = packConfig();
  cfg.contracts.snapshots = path.join(dir, 'snapshots');
  cfg.contracts.flows[0]!.repeat = 3;
  const file = path.join(dir, 'lots.config.json');
  writeFileSync(file, JSON.stringify(cfg));
  return { dir, file, snapshots: cfg.contracts.snapshots, out: path.join(dir, 'reports') };
}

const contractsJson = (out: string) => {
  const [run] = readdirSync(out);
  return JSON.parse(readFileSync(path.join(out, run!, 'contracts.json'), 'utf8')) as { contracts: { step: string; drift: { pointer: string; kind: string }[] }[] };
};

describe('parity snapshot', () => {
  it('record, then compare: clean against an unchanged backend, the drift against a drifted one', async () => {
    const ws = workspace();
    pair = await startPair({ enumCase: true });
    const rec = captureIO(pair.env);
    expect(await main(['snapshot', 'record', ws.file], rec.io)).toBe(0);
    expect(rec.out).toContain('recorded 12 snapshots of express');
    const login = JSON.parse(readFileSync(path.join(ws.snapshots, 'lots', 'login.json'), 'utf8'));
    expect(login.response.body.token).toBe('[redacted]');
    expect(login.request.body.password).toBe('[redacted]');
    expect(login.noise.map((n: { pointer: string }) => n.pointer)).toEqual([]);
    const create = JSON.parse(readFileSync(path.join(ws.snapshots, 'lots', 'create_lot.json'), 'utf8'));
    expect(create.noise.map((n: { pointer: string }) => n.pointer)).toEqual(['/id']);

    // The same backend later: new tokens, ids, timestamps; no drift.
    const clean = captureIO(pair.env);
    expect(await main(['snapshot', 'compare', ws.file, '--target', 'baseline', '--out', `${ws.out}-clean`], clean.io)).toBe(0);
    expect(contractsJson(`${ws.out}-clean`).contracts.flatMap((s) => s.drift)).toEqual([]);

    // The drifted candidate: exactly its drift, exit 1.
    const drifted = captureIO(pair.env);
    expect(await main(['snapshot', 'compare', ws.file, '--out', `${ws.out}-drift`], drifted.io)).toBe(1);
    const steps = contractsJson(`${ws.out}-drift`).contracts;
    expect(steps.flatMap((s) => s.drift.map((d) => `${s.step} ${d.pointer} ${d.kind}`)).sort()).toEqual([
      'create_lot /status value',
      'get_lot /status value',
      'traceability /lot/status value',
    ]);
    expect(drifted.out).toContain('breaking value          /status  "OPEN" → "open"  (3×)');

    // --update-snapshots accepts the candidate's answers; the next compare has no drift. It still
    // exits 1: "open" fails the pack's explicit assertion `$.status: OPEN`, which no snapshot changes.
    expect(await main(['snapshot', 'compare', ws.file, '--update-snapshots', '--out', `${ws.out}-upd`], captureIO(pair.env).io)).toBe(1);
    const after = captureIO(pair.env);
    expect(await main(['snapshot', 'compare', ws.file, '--out', `${ws.out}-after`], after.io)).toBe(1);
    expect(contractsJson(`${ws.out}-after`).contracts.flatMap((s) => s.drift)).toEqual([]);
    expect(after.out).toContain('0 drifted, 2 with assertion failures');
  });

  it('compare without snapshots fails before any request, saying how to record them', async () => {
    const ws = workspace();
    pair = await startPair();
    const io = captureIO(pair.env);
    expect(await main(['snapshot', 'compare', ws.file], io.io)).toBe(3);
    expect(io.err).toContain('no snapshot for 12 steps; nothing was sent');
    expect(io.err).toContain(`parity snapshot record ${ws.file}`);
    // Only the preflight health check reached the candidate.
    expect(pair.candidate.requests).toBe(1);
  });
});
