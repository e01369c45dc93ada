import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { PreflightError } from '../../harness/errors.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { spooledPairs } from '../helpers/spool.ts';
import { startCountingServer } from '../helpers/counting-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function closedPortUrl(): Promise<string> {
  const s = await startCountingServer();
  await s.close();
  return s.url;
}

describe('failures keep what was measured', () => {
  let proc: FixtureProcess;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 5, interEventGapMs: 5, healthPaths: ['/health'] },
      { framing: 'named-events', tokens: 5, interEventGapMs: 5, healthPaths: ['/health'], healthStatus: 503 },
      // Slow streams for the SIGINT test: ~1 s each.
      { framing: 'named-events', tokens: 10, firstContentDelayMs: 100, interEventGapMs: 100 },
    ]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('connection refused on one target: the run completes, that side is connect_error, the other is intact', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: await closedPortUrl(), promptsFile: ws.promptsFile, load: { vus: 5, iterations: 30 } });
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out });
    const { baseline, candidate } = out.result.summaries[0]!;
    expect(out.result.complete).toBe(true);
    expect(candidate.outcomes.connect_error).toBe(30);
    expect(candidate.errorRate).toBe(1);
    expect(candidate.interruptionRate).toBe(0); // never got headers: an error, not an interruption
    expect(baseline.outcomes.complete).toBe(30);
    expect(baseline.completionMs!.count).toBe(30);
    expect(baseline.gapMs!.mean).toBeGreaterThanOrEqual(4);
  });

  it('preflight failure names the target and route, sends no load, and leaves an incomplete run.json', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile });
    cfg.targets[0]!.health = ['/health'];
    cfg.targets[1]!.health = ['/health', '/infra/health'];
    cfg.preflight = { retries: 2, interval: 20 };
    const notices: string[] = [];
    const err = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: ws.out, runId: 'pf', onPreflightRetry: (n) => notices.push(n) }).catch((e: unknown) => e);
    // Said while it retries, once per failing check (the retries' wait is silent otherwise).
    expect(notices.sort()).toEqual([
      'preflight: target "cand" GET /health answered 503 (expected 200); retrying up to 2 more times, 20 ms apart',
      'preflight: target "cand" GET /infra/health answered 404 (expected 200); retrying up to 2 more times, 20 ms apart',
    ]);
    expect(err).toBeInstanceOf(PreflightError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/target "cand" GET \/health: expected 200, got 503 after 3 attempts/);
    expect(msg).toMatch(/target "cand" GET \/infra\/health: expected 200, got 404/);
    expect(msg).not.toMatch(/target "base"/);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'pf', 'run.json'), 'utf8')));
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toBe('preflight failed');
    expect(run.samples.pairs).toBe(0);
    expect(run.preflight.find((p) => p.target === 'base')!.ok).toBe(true);
    const served = await proc.fixtures[1]!.served();
    expect(served.length).toBe(0);
  });

  it('secret header values from the environment never reach run.json', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[0]!.url, promptsFile: ws.promptsFile, load: { vus: 1, iterations: 2 } });
    cfg.targets[0]!.headers = { authorization: 'Bearer ${PARITY_TEST_TOKEN}', 'x-api-key': 'literal-key-123' };
    const out = await runParity(await resolveConfig(cfg, ws.configFile, { PARITY_TEST_TOKEN: 's3cr3t-token-value' }), { outDir: ws.out });
    const text = readFileSync(out.runJson, 'utf8') + readFileSync(path.join(out.dir, 'samples.ndjson'), 'utf8');
    expect(text).not.toContain('s3cr3t-token-value');
    expect(text).not.toContain('literal-key-123');
    expect(text).toContain('Bearer ${PARITY_TEST_TOKEN}');
    const served = await proc.fixtures[0]!.served();
    expect(served.length).toBeGreaterThan(0);
  });

  it('SIGINT mid-run: run.json says complete:false and holds every sample measured so far', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: proc.fixtures[2]!.url, candidateUrl: proc.fixtures[2]!.url, promptsFile: ws.promptsFile, load: { vus: 4, duration: '30s', iterations: undefined } });
    delete (cfg.load as { iterations?: number }).iterations;
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/parity.mjs'), 'run', ws.configFile, '--out', ws.out, '--run-id', 'int', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const ndjson = path.join(ws.out, 'int', 'samples.ndjson');
    // Wait until some pairs are on disk (spooled while the run goes), then interrupt.
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (spooledPairs(ndjson) >= 8) break;
    }
    expect(spooledPairs(ndjson)).toBeGreaterThanOrEqual(8);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/interrupted/);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'int', 'run.json'), 'utf8')));
    const lines = readFileSync(ndjson, 'utf8').split('\n').filter(Boolean);
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toBe('interrupted');
    expect(run.endedAt).not.toBeNull();
    expect(lines.length).toBeGreaterThanOrEqual(8);
    expect(run.samples.pairs).toBe(lines.length);
    expect(run.summaries[0]!.baseline.count).toBe(lines.length);
    // The 4 VUs' streams in flight at the interrupt are abandoned, not counted as failures.
    expect(run.load.abandoned).toBe(8);
    expect(run.summaries[0]!.baseline.outcomes.complete).toBe(lines.length);
  }, 60_000);
});
