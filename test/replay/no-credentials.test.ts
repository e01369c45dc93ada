import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { useAuthServers } from '../helpers/auth-servers.ts';
import { runCli } from '../helpers/cli.ts';
import { writeHar } from '../helpers/replay.ts';

/**
 * A HAR exported without credentials (browsers' "sanitized" exports, and a replay drops the
 * captured authorization and cookies unless allowed): both backends answer 401 to every request.
 * They agree, so the verdict passed a run that compared nothing but rejections. Now no gate that
 * compares with the baseline passes when the baseline failed most of its requests, and the reason
 * says where credentials go; with them (targets[].headers) the same replay passes. The config is
 * its targets alone (a replay runs no scenarios of its own, so it needs none).
 */
describe('parity replay of a capture without credentials, with a config of targets alone', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-creds-'));
  const { urls } = useAuthServers((_k, authorization) => authorization === 'Bearer replay-token');

  it('every request 401 on both sides: INCONCLUSIVE (exit 2), naming the failures and targets[].headers; with credentials, PASS', async () => {
    const har = path.join(dir, 'export.har');
    const t0 = Date.parse('2026-11-30T10:00:00Z');
    writeHar(har, Array.from({ length: 240 }, (_, i) => ({ t: t0 + i * 4, method: 'GET', path: `/api/items/${i % 12}`, headers: { accept: 'application/json' } })));
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, ['name: relative', 'minSamples: 100', 'gates:', '  - { metric: latency.p95, threshold: "<= 1.5x baseline or <= baseline + 50ms" }', '  - { metric: error_rate, threshold: "<= +2pp" }', ''].join('\n'));
    // A replay's config may be its targets alone: it runs no scenarios, load or flows of its own.
    const config = path.join(dir, 'replay.config.json');
    const targets = (headers?: Record<string, string>) =>
      ['baseline', 'candidate'].map((role, k) => ({ name: role, role, baseUrl: urls[k], routes: {}, ...(headers ? { headers } : {}) }));
    writeFileSync(config, JSON.stringify({ name: 'replay', targets: targets(), preflight: { retries: 0, interval: 10 }, outDir: path.join(dir, 'reports') }));

    const without = await runCli(['replay', har, '--config', config, '--policy', policy, '--quiet'], {});
    expect(without.code, without.stderr + without.stdout).toBe(2);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(without.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(run.verdict?.status).toBe('inconclusive');
    for (const g of run.verdict!.gates) {
      expect([g.id, g.status]).toEqual([g.id, 'inconclusive']);
      expect(g.reason).toContain('the baseline failed 240 of 240 requests here (http_error 401 ×240)');
      expect(g.reason).toContain('targets[].headers');
    }

    // The replay's own credentials, per target, from the environment.
    const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...cfg, targets: targets({ authorization: 'Bearer ${REPLAY_TOKEN}' }) }));
    const withCreds = await runCli(['replay', har, '--config', config, '--policy', policy, '--quiet'], { REPLAY_TOKEN: 'replay-token' });
    const passed = JSON.parse(readFileSync(/run\.json: (.+)/.exec(withCreds.stdout)![1]!.trim(), 'utf8')) as RunResult;
    expect(passed.summaries[0]!.baseline.outcomes).toMatchObject({ ok: 240, http_error: 0 });
    // Every gate passes on its evidence (the verdict itself may still wait on a busy harness's health check).
    for (const g of passed.verdict!.gates) expect([g.id, g.status, g.reason]).toEqual([g.id, 'pass', g.reason]);
    expect(passed.verdict!.reasons.join('\n')).not.toContain('baseline failed');
  }, 60_000);
});
