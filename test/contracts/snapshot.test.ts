import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { RunResult } from '../../harness/run/result.ts';
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
  return JSON.parse(readFileSync(path.join(out, run!, 'run.json'), 'utf8')) as { contracts: { step: string; drift: { pointer: string; kind: string }[] }[] };
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
    expect(login.noise.map((n: { pointer: string }) => n.pointer)).toEqual(['/x-trace-id']);
    const create = JSON.parse(readFileSync(path.join(ws.snapshots, 'lots', 'create_lot.json'), 'utf8'));
    expect(create.noise.map((n: { pointer: string }) => n.pointer)).toEqual(['/id', '/location', '/x-trace-id']);
    // What the echo-aware diff and the origin normalizer need later, and nothing more of the run.
    expect(create.baseUrl).toBe(pair.baseline.url);
    expect(create.generated.map((g: { name: string }) => g.name)).toEqual(['unique']);
    expect(login.generated).toEqual([]);

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

  it('snapshots live beside the config, wherever the command runs from; compare writes a full run directory', async () => {
    // The config in one folder, with a relative snapshots path; the command run from another.
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-snap-rel-'));
    const cfg = packConfig();
    cfg.contracts.snapshots = 'snaps';
    cfg.contracts.flows[0]!.repeat = 2;
    const file = path.join(dir, 'conf', 'lots.config.json');
    mkdirSync(path.dirname(file));
    writeFileSync(file, JSON.stringify(cfg));
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'parity-snap-cwd-'));
    const cwd = process.cwd();
    pair = await startPair({ extraField: true });
    try {
      process.chdir(elsewhere);
      expect(await main(['snapshot', 'record', file], captureIO(pair.env).io)).toBe(0);
      expect(readdirSync(path.join(dir, 'conf', 'snaps', 'lots')).sort()).toContain('create_lot.json');
      expect(readdirSync(elsewhere)).toEqual([]);

      // Fail on breaking drift, warn on additive: an extra field passes the verdict.
      const policy = path.join(dir, 'policy.yaml');
      writeFileSync(policy, 'minSamples: 1\ngates:\n  - metric: contract_drift.breaking\n    threshold: <= 0\n  - metric: contract_drift.additive\n    threshold: <= 0\n    severity: warn\n');
      const out = path.join(dir, 'reports');
      const io = captureIO(pair.env);
      expect(await main(['snapshot', 'compare', file, '--out', out, '--policy', policy], io.io)).toBe(0);
      const [run] = readdirSync(out);
      expect(readdirSync(path.join(out, run!)).sort()).toEqual(['contracts', 'junit.xml', 'report.html', 'run.json', 'summary.md']);
      const result = JSON.parse(readFileSync(path.join(out, run!, 'run.json'), 'utf8')) as RunResult;
      expect(RunResult.safeParse(result).success).toBe(true);
      expect(result.targets.map((t) => t.name)).toEqual(['snapshot', 'fastapi']);
      expect(result.verdict!.status).toBe('pass');
      expect(result.verdict!.gates.map((g) => [g.metric, g.status, g.value])).toEqual([
        ['contract_drift.breaking', 'pass', 0],
        ['contract_drift.additive', 'fail', 6],
        ['error_rate', 'pass', null],
      ]);
      expect(readFileSync(path.join(out, run!, 'summary.md'), 'utf8')).toContain('`/warehouse` additive extra ×2');
      expect(readFileSync(path.join(out, run!, 'junit.xml'), 'utf8')).toContain('/warehouse additive extra ×2');
      expect(readFileSync(path.join(out, run!, 'report.html'), 'utf8')).toContain('data-class="additive"');
    } finally {
      process.chdir(cwd);
    }
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

  it('a config secret a backend echoes never reaches a snapshot file', async () => {
    // The QC step sends its inspector from the environment (a secret, as every ${VAR} value is); the backend echoes it back.
    const ws = workspace();
    const cfg = JSON.parse(readFileSync(ws.file, 'utf8'));
    const qc = cfg.contracts.flows[0].steps.find((s: { name: string }) => s.name === 'qc_decision');
    qc.body.inspector = '${QC_INSPECTOR}';
    writeFileSync(ws.file, JSON.stringify(cfg));
    pair = await startPair();
    const secret = 'inspector-7f3a9c2e';
    const rec = captureIO({ ...pair.env, QC_INSPECTOR: secret });
    expect(await main(['snapshot', 'record', ws.file], rec.io)).toBe(0);
    const files = readdirSync(path.join(ws.snapshots, 'lots')).map((f) => readFileSync(path.join(ws.snapshots, 'lots', f), 'utf8'));
    const qcSnap = JSON.parse(files.find((t) => t.includes('"step": "qc_decision"'))!);
    // The echo is there, as [redacted]: the secret went out and came back, and was scrubbed on the way to disk.
    expect(qcSnap.response.body.inspector).toBe('[redacted]');
    for (const text of files) expect(text).not.toContain(secret);
  });
});

