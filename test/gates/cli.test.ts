import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../harness/cli.ts';
import { captureIO } from '../helpers/cli.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureHandle, type FixtureProcess } from '../helpers/fixture-process.ts';


/** An exec hook (YAML flow list) that writes a marker file. */
const marker = (file: string) => `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(file)}]`;

describe('parity run --policy and parity gate', () => {
  let proc: FixtureProcess;
  let base: FixtureHandle;
  let cand: FixtureHandle;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);
  const config = (iterations: number) => {
    const file = path.join(ws.dir, `parity-${iterations}.config.json`);
    writeFileSync(file, JSON.stringify(streamConfig({ baselineUrl: base.url, candidateUrl: cand.url, promptsFile: ws.promptsFile, load: { vus: 5, iterations } })));
    return file;
  };
  const policy = (name: string, body: string) => {
    const file = path.join(ws.dir, `${name}.yaml`);
    writeFileSync(file, body);
    return file;
  };
  const runJsonOf = (out: string) => /run\.json: (.*)/.exec(out)![1]!.trim();
  const read = (file: string) => JSON.parse(readFileSync(path.resolve(file), 'utf8')) as RunResult;

  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 1 },
      { framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 1 },
    ]);
    [base, cand] = proc.fixtures as [FixtureHandle, FixtureHandle];
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('10 samples against minSamples 100: inconclusive (exit 2), promote not fired, onInconclusive fired and recorded', async () => {
    const promoted = path.join(ws.dir, 'promoted-1');
    const held = path.join(ws.dir, 'held-1');
    const p = policy('min100', `gates:\n  - { metric: error_rate, threshold: "<= 50%", minSamples: 100 }\nhooks:\n  onPass:\n    exec: ${marker(promoted)}\n  onInconclusive:\n    exec: ${marker(held)}\n`);
    const c = captureIO();
    const code = await main(['run', config(10), '--policy', p, '--out', ws.out, '--quiet'], c.io);
    expect(code, c.err).toBe(2);
    expect(c.out).toMatch(/verdict: INCONCLUSIVE \(policy min100\)/);
    expect(c.out).toMatch(/10 candidate samples, fewer than minSamples 100/);
    expect(existsSync(promoted)).toBe(false);
    expect(readFileSync(held, 'utf8')).toBe('inconclusive');
    const run = read(runJsonOf(c.out));
    expect(run.verdict).toMatchObject({ status: 'inconclusive', policy: 'min100' });
    expect(run.hooks).toMatchObject([{ on: 'inconclusive', kind: 'exec', ok: true, exitCode: 0, dryRun: false }]);
    const audit = readFileSync(path.join(ws.out, 'audit.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.filter((l) => l.runId === run.runId).map((l) => l.type)).toEqual(['verdict', 'hook-start', 'hook']);
  });

  it('enough samples and every gate within: pass (exit 0) fires onPass', async () => {
    const promoted = path.join(ws.dir, 'promoted-2');
    const p = policy('ok', `minSamples: 20\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\n  - { metric: completion.p50, threshold: "<= 3x baseline" }\nhooks:\n  onPass:\n    exec: ${marker(promoted)}\n`);
    const c = captureIO();
    expect(await main(['run', config(40), '--policy', p, '--out', ws.out, '--quiet'], c.io), c.out).toBe(0);
    expect(readFileSync(promoted, 'utf8')).toBe('pass');
  });

  it('parity gate re-evaluates a stored run offline: verdict and hooks rewritten into run.json, webhook 500 retried and reported, exit 4 (verdict fail, hook failed)', async () => {
    const c = captureIO();
    await main(['run', config(20), '--out', ws.out, '--quiet'], c.io);
    const runJson = runJsonOf(c.out);
    const served = (await cand.served()).length;
    let hits = 0;
    const hook = http.createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(500).end('down');
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/rollback`;
    try {
      const p = policy('strict', `minSamples: 10\ngates:\n  - { name: much-faster, metric: completion.p50, threshold: "<= 0.5x baseline" }\nhooks:\n  onFail:\n    webhook: ${url}\n    retries: 1\n    backoff: 10ms\n`);
      const g = captureIO();
      expect(await main(['gate', runJson, '--policy', p], g.io), g.err).toBe(4);
      expect(g.out).toMatch(/verdict: FAIL \(policy strict\)/);
      expect(g.out).toMatch(/FAIL +much-faster: candidate\/baseline/);
      expect(g.err).toMatch(/1 hook failed/);
      expect(hits).toBe(2);
      const run = read(runJson);
      expect(run.verdict!.gates[0]).toMatchObject({ id: 'much-faster', status: 'fail' });
      expect(run.hooks).toMatchObject([{ on: 'fail', kind: 'webhook', ok: false, httpStatus: 500, attempts: 2, error: 'HTTP 500 after 2 attempts' }]);
      // Offline: no request reached the backends.
      expect((await cand.served()).length).toBe(served);
      // Re-evaluating with a preset by name works the same way; as a dry run over a run whose hook
      // really fired, it is a preview: run.json keeps the verdict and the hook of record.
      const b = captureIO();
      expect([0, 2]).toContain(await main(['gate', runJson, '--policy', 'seed-000-stage-b', '--dry-run'], b.io));
      expect(b.out).toMatch(/verdict: \w+ \(policy seed-000-stage-b\)/);
      expect(read(runJson).verdict!.policy).toBe('strict');
      expect(read(runJson).hooks).toMatchObject([{ on: 'fail', kind: 'webhook', ok: false, dryRun: false }]);
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });

  it('a run broken off by a failed preflight: exit 3 with the error, yet its verdict (inconclusive), hooks and reports', async () => {
    const promoted = path.join(ws.dir, 'promoted-broken');
    const held = path.join(ws.dir, 'held-broken');
    const p = policy('broken', `gates:\n  - { metric: error_rate, threshold: "<= 50%", minSamples: 1 }\nhooks:\n  onPass:\n    exec: ${marker(promoted)}\n  onInconclusive:\n    exec: ${marker(held)}\n`);
    const file = path.join(ws.dir, 'parity-down.config.json');
    // Nothing listens on port 1: the candidate's health check is refused.
    const cfg = streamConfig({ baselineUrl: base.url, candidateUrl: 'http://127.0.0.1:1', promptsFile: ws.promptsFile, load: { vus: 2, iterations: 10 } });
    cfg.targets[1]!.health = ['/health'];
    writeFileSync(file, JSON.stringify(cfg));
    const c = captureIO();
    expect(await main(['run', file, '--policy', p, '--out', ws.out, '--quiet'], c.io), c.out).toBe(3);
    expect(c.err).toMatch(/PARITY_PREFLIGHT_FAILED/);
    expect(c.out).toMatch(/INCOMPLETE: preflight failed/);
    expect(c.out).toMatch(/verdict: INCONCLUSIVE \(policy broken\)/);
    expect(c.out).toMatch(/run incomplete \(preflight failed\)/);
    expect(existsSync(promoted)).toBe(false);
    expect(readFileSync(held, 'utf8')).toBe('inconclusive');
    const runJson = runJsonOf(c.out);
    const run = read(runJson);
    expect(run).toMatchObject({ complete: false, incompleteReason: 'preflight failed', samples: { pairs: 0 } });
    expect(run.verdict).toMatchObject({ status: 'inconclusive', policy: 'broken' });
    expect(run.hooks).toMatchObject([{ on: 'inconclusive', ok: true }]);
    const reports = /reports: (.*)/.exec(c.out)![1]!.split(', ');
    expect(reports.map((f) => path.basename(f)).sort()).toEqual(['junit.xml', 'report.html', 'summary.md']);
    expect(readFileSync(path.resolve(reports.find((f) => f.endsWith('summary.md'))!), 'utf8')).toMatch(/preflight failed/);
  });

  it('--dry-run prints the hook and runs nothing', async () => {
    const flag = path.join(ws.dir, 'dry-flag');
    const p = policy('dry', `minSamples: 5\ngates:\n  - { metric: completion.p50, threshold: "<= 0.5x baseline" }\nhooks:\n  onFail:\n    exec: ${marker(flag)}\n`);
    const c = captureIO();
    expect(await main(['run', config(10), '--policy', p, '--dry-run', '--out', ws.out, '--quiet'], c.io)).toBe(1);
    expect(c.out).toMatch(/hook onFail: would run .* \(dry run: nothing executed\)/);
    expect(existsSync(flag)).toBe(false);
    expect(read(runJsonOf(c.out)).hooks).toMatchObject([{ dryRun: true, on: 'fail' }]);
  });

  it('a bad policy is exit 3 with file and path, before any traffic', async () => {
    const before = (await base.served()).length;
    const bad = policy('bad', `gates:\n  - { metric: completion.p95, threshold: "<= 1.2x baseline" }\n  - { metric: interruption_rate, threshold: "<= 0.5 points" }\n`);
    const c = captureIO();
    expect(await main(['run', config(10), '--policy', bad, '--out', ws.out], c.io)).toBe(3);
    expect(c.err).toMatch(/PARITY_CONFIG_INVALID/);
    expect(c.err).toMatch(/bad\.yaml: 1 problem; nothing was sent/);
    expect(c.err).toMatch(/→ at gates\[1\]\.threshold/);
    const scoped = policy('scoped', `gates:\n  - { metric: completion.p95, threshold: "<= 1.2x baseline", scenario: chat-enhanced }\n`);
    const s = captureIO();
    expect(await main(['run', config(10), '--policy', scoped, '--out', ws.out], s.io)).toBe(3);
    expect(s.err).toMatch(/scenario "chat-enhanced" is not in .* \(its scenarios: s\)\n\s+→ at gates\[0\]\.scenario/);
    const u = captureIO();
    expect(await main(['run', config(10), '--policy', 'seed-009-nope', '--out', ws.out], u.io)).toBe(3);
    expect(u.err).toMatch(/no policy file or preset named "seed-009-nope".*seed-000-stage-b/);
    expect((await base.served()).length).toBe(before);
  });

  it('parity gate refuses a run whose samples file does not match run.json (exit 3)', async () => {
    const c = captureIO();
    await main(['run', config(10), '--out', ws.out, '--quiet'], c.io);
    const runJson = runJsonOf(c.out);
    const samples = path.join(path.dirname(runJson), 'samples.ndjson');
    writeFileSync(samples, readFileSync(samples, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    const g = captureIO();
    expect(await main(['gate', runJson, '--policy', 'seed-000-stage-b'], g.io)).toBe(3);
    expect(g.err).toMatch(/PARITY_RUN_FILE_INVALID[\s\S]*holds 3 pairs but run.json says 10/);
    // A line that is not JSON is named by its number (the file is read line by line).
    const lines = readFileSync(samples, 'utf8').split('\n');
    lines[1] = '{"requestId": "cut';
    writeFileSync(samples, lines.join('\n'));
    const j = captureIO();
    expect(await main(['gate', runJson, '--policy', 'seed-000-stage-b'], j.io)).toBe(3);
    expect(j.err).toMatch(/PARITY_RUN_FILE_INVALID[\s\S]*samples\.ndjson line 2 is not JSON/);
  });
});
