import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameBackend } from '../../harness/gates/same-backend.ts';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * A candidate URL that falls back to the baseline's (`${NODE_URL:-…}` with NODE_URL unset, or a
 * copy-paste of the baseline's block) made parity compare one backend with itself: every gate
 * passed, and onPass promoted a candidate that was never sent a request. Such a run is never a
 * pass now; the verdict says why.
 */
describe('a run whose candidate is the baseline is never a pass', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
  beforeAll(async () => {
    proc = await startFixtureProcess([{ framing: 'named-events', tokens: 3, firstContentDelayMs: 5, interEventGapMs: 1 }]);
  });
  afterAll(async () => {
    await proc?.close();
  });

  it('parity run --policy: the verdict names the same backend, onPass does not fire', async () => {
    const url = proc.fixtures[0]!.url;
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: url, candidateUrl: `${url}/`, promptsFile: ws.promptsFile, load: { vus: 2, iterations: 30 } })));
    const promoted = path.join(ws.dir, 'promoted');
    const policy = path.join(ws.dir, 'policy.yaml');
    const marker = `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(promoted)}]`;
    writeFileSync(policy, `minSamples: 10\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: ${marker}\n`);
    const r = await runCli(['run', ws.configFile, '--policy', policy, '--out', ws.out, '--run-id', 'itself', '--quiet']);
    const run = RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, 'itself', 'run.json'), 'utf8')));
    expect(run.verdict!.reasons.join('\n')).toContain(`baseline "base" and candidate "cand" are the same backend (${url}`);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(r.code).toBe(2);
    expect(() => readFileSync(promoted)).toThrow();
    // With insufficient: fail, it fails.
    writeFileSync(policy, 'minSamples: 10\ninsufficient: fail\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\n');
    const g = await runCli(['gate', path.join(ws.out, 'itself', 'run.json'), '--policy', policy, '--dry-run']);
    expect(g.code).toBe(1);
  });

  const run = (b: Record<string, unknown>, c: Record<string, unknown>, bUrl = 'http://gw.internal:8080', cUrl = bUrl) => ({
    targets: [
      { name: 'old', role: 'baseline' as const, baseUrl: bUrl },
      { name: 'new', role: 'candidate' as const, baseUrl: cUrl },
    ],
    config: { targets: [{ name: 'old', routes: { chat: { method: 'POST', path: '/chat' } }, headers: {}, ...b }, { name: 'new', routes: { chat: { method: 'POST', path: '/chat' } }, headers: {}, ...c }] },
  });

  it('one host, told apart by route or by a header (a gateway, a feature flag), is two backends', () => {
    expect(sameBackend(run({}, {}))).toMatch(/are the same backend/);
    expect(sameBackend(run({ headers: { a: '1', b: '2' } }, { headers: { b: '2', a: '1' } }))).toMatch(/are the same backend/);
    expect(sameBackend(run({}, {}, 'http://GW.internal:8080/', 'http://gw.internal:8080'))).toMatch(/are the same backend/);
    expect(sameBackend(run({}, { routes: { chat: { method: 'POST', path: '/v2/chat' } } }))).toBeNull();
    expect(sameBackend(run({}, { headers: { 'x-use-node': 'true' } }))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://gw.internal:8080', 'http://gw.internal:8081'))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://gw.internal:8080/python', 'http://gw.internal:8080/node'))).toBeNull();
    expect(sameBackend({ ...run({}, {}), config: {} })).toBeNull(); // no echo: no telling
  });

  it('localhost, 127.0.0.1 and [::1] on one port are one backend; another port, or a name behind DNS, is not', () => {
    // A candidate `${NODE_URL:-http://localhost:8000}` fell back beside a baseline written http://127.0.0.1:8000: a pass.
    for (const [b, c] of [
      ['http://127.0.0.1:8000', 'http://localhost:8000'],
      ['http://localhost:8000/', 'http://[::1]:8000'],
      ['http://[0:0:0:0:0:0:0:1]:8000/api', 'http://LOCALHOST:8000/api/'],
      ['http://127.0.0.1', 'http://localhost:80'],
    ] as const) {
      expect(sameBackend(run({}, {}, b, c)), `${b} vs ${c}`).toBe(
        `baseline "old" and candidate "new" are the same backend (${b} and ${c}, one loopback address, the same routes and headers): ` +
          'the run compared a backend with itself, so its gates say nothing about the candidate; point the candidate at the new backend',
      );
    }
    expect(sameBackend(run({}, {}, 'http://127.0.0.1:8000', 'http://localhost:8001'))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://127.0.0.1:8000', 'https://localhost:8000'))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://127.0.0.1:8000/python', 'http://localhost:8000/node'))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://localhost:8000', 'http://my-laptop.local:8000'))).toBeNull();
    expect(sameBackend(run({}, {}, 'http://127.0.0.2:8000', 'http://127.0.0.1:8000'))).toBeNull();
  });
});
