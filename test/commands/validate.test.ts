import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../harness/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startCountingServer } from '../helpers/counting-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIGS = [
  'scenarios/demo.config.ts',
  'scenarios/python-to-node.config.yaml',
  'scenarios/python-to-node.shadow.yaml',
  'scenarios/seed-001-node-to-go.config.yaml',
  'scenarios/seed-003-express-to-fastapi.config.yaml',
  'scenarios/contracts/lots.config.yaml',
];
/**
 * A policy scoped to another config's scenarios, routes or server-side series is refused with
 * the scope named (exit 3): that pair is not meant to run. Every other problem is a failure.
 */
const SCOPE_MISMATCH = [/no scenario in .* uses route/, /scenario ".*" is not in /, /has no server-side series/];
const onlyScopeMismatch = (stderr: string) => {
  const problems = stderr.split('\n').filter((l) => l.trim().startsWith('✖'));
  return problems.length > 0 && problems.every((l) => SCOPE_MISMATCH.some((re) => re.test(l)));
};
const POLICY_DIRS = ['scenarios/policies', 'scenarios/policies/examples'];
const POLICIES = POLICY_DIRS.flatMap((d) => readdirSync(path.join(ROOT, d)).filter((f) => /\.(ya?ml|json|ts)$/.test(f)).map((f) => path.join(d, f)));

describe('parity validate: checks config and policy, prints the plan, sends nothing', () => {
  let server: Awaited<ReturnType<typeof startCountingServer>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    server = await startCountingServer();
    // Every shipped config reads its URLs from one of these: all point at the listening server.
    env = { BASELINE_URL: server.url, CANDIDATE_URL: server.url, PYTHON_URL: server.url, NODE_URL: server.url };
  });
  afterAll(async () => {
    await server.close();
  });

  it('finds the shipped configs and policies it checks', () => {
    expect(POLICIES.length).toBeGreaterThanOrEqual(10);
    for (const c of CONFIGS) expect(readdirSync(path.join(ROOT, path.dirname(c)))).toContain(path.basename(c));
  });

  it('every shipped config with every shipped policy: exit 0 (or a named scope mismatch), a plan, zero connections to the listening server', async () => {
    const failures: string[] = [];
    const fits = new Map<string, string[]>(POLICIES.map((p) => [p, []]));
    for (const config of CONFIGS) {
      const alone = await runCli(['validate', path.join(ROOT, config)], env);
      if (alone.code !== 0) failures.push(`${config}: ${alone.stderr}`);
      for (const policy of POLICIES) {
        const r = await runCli(['validate', path.join(ROOT, config), '--policy', path.join(ROOT, policy)], env);
        if (r.code === ExitCode.pass) {
          fits.get(policy)!.push(config);
          expect(r.stdout).toContain('valid: nothing was sent.');
          expect(r.stdout).toMatch(/^gates:$/m);
          // A plan names real things: no field left unset in its text (a citation guard read "over route null").
          expect(r.stdout).not.toMatch(/\b(null|undefined|NaN)\b/);
        } else if (!(r.code === ExitCode.error && onlyScopeMismatch(r.stderr))) failures.push(`${config} + ${policy}: exit ${r.code}\n${r.stderr}`);
      }
    }
    expect(failures).toEqual([]);
    // Every policy but the server-side presets (whose series names are placeholders a team maps to
    // its own metrics section) is valid with at least one shipped config.
    const unfit = [...fits].filter(([p, configs]) => configs.length === 0 && !/-server\.ya?ml$/.test(p)).map(([p]) => p);
    expect(unfit).toEqual([]);
    expect(server.connections()).toBe(0);
    expect(server.count()).toBe(0);
  }, 240_000);

  it('prints targets and routes, scenario weights, the schedule per stage, gates with limits and the hooks that could fire', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: server.url, candidateUrl: '${CAND_URL}', promptsFile: ws.promptsFile });
    cfg.scenarios!.push({ name: 's2', route: 'chat', prompts: ws.promptsFile });
    cfg.targets[1]!.headers = { authorization: 'Bearer ${CAND_TOKEN}' };
    cfg.load = { model: 'ramping-arrival-rate', timeUnit: '1s', stages: [{ duration: '10s', target: 10 }, { duration: '20s', target: 10 }] };
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const policy = path.join(ws.dir, 'p.yaml');
    // The hook's command must exist (checked at load, before any traffic): beside the policy, cwd ".".
    writeFileSync(path.join(ws.dir, 'rollback.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(policy, 'gates:\n  - { metric: error_rate, threshold: "<= 1%" }\n  - { metric: completion.p95, threshold: "<= 1.2x baseline", severity: warn, scenario: s2 }\nhooks:\n  onFail:\n    - exec: [./rollback.sh, --now]\n      cwd: .\n');
    const r = await runCli(['validate', ws.configFile, '--policy', policy], { CAND_URL: server.url, CAND_TOKEN: 'sekrit-token-value' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`config: ${ws.configFile}`);
    expect(r.stdout).toMatch(/route chat: POST \/chat-stream/);
    expect(r.stdout).toMatch(/s: stream, route chat, 50% of iterations/);
    expect(r.stdout).toMatch(/s2: stream, route chat, 50% of iterations/);
    // 0 → 10/s over 10 s integrates to 50 iterations; 10/s for 20 s to 200.
    expect(r.stdout).toMatch(/stage 1: 10\.0 s, rate 0 → 10, about 50 iterations/);
    expect(r.stdout).toMatch(/stage 2: 20\.0 s, rate 10 → 10, about 200 iterations/);
    expect(r.stdout).toMatch(/fail error_rate: error_rate <= 1% \(all scenarios, minSamples 100\)/);
    expect(r.stdout).toMatch(/warn completion\.p95@s2: completion\.p95 <= 1\.2x baseline \(scenario s2/);
    expect(r.stdout).toMatch(/onFail: exec \.\/rollback\.sh --now/);
    expect(r.stdout).not.toContain('sekrit-token-value');
    expect(server.connections()).toBe(0);
  });

  it('a broken config or policy: exit 3 naming the file and the field path, nothing sent', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: ws.promptsFile }) as unknown as { load: Record<string, unknown> };
    cfg.load.vus = '10';
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const bad = await runCli(['validate', ws.configFile], {});
    expect(bad.code).toBe(ExitCode.error);
    expect(bad.stderr).toContain('PARITY_CONFIG_INVALID');
    expect(bad.stderr).toContain(ws.configFile);
    expect(bad.stderr).toMatch(/→ at load\.vus/);

    const good = tempWorkspace();
    writeFileSync(good.configFile, JSON.stringify(streamConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: good.promptsFile })));
    const policy = path.join(good.dir, 'bad-policy.yaml');
    writeFileSync(policy, 'gates:\n  - { metric: error_rate, threshold: "<= 1%", scenario: nope }\n');
    const badPolicy = await runCli(['validate', good.configFile, '--policy', policy], {});
    expect(badPolicy.code).toBe(ExitCode.error);
    expect(badPolicy.stderr).toMatch(/bad-policy\.yaml/);
    expect(badPolicy.stderr).toMatch(/→ at gates\[0\]\.scenario/);
    expect(server.connections()).toBe(0);
  });

  it('a config of targets alone (what parity replay --config reads): refused as a run config, naming --replay; with --replay, checked and planned, nothing sent', async () => {
    const ws = tempWorkspace();
    const targets = ['baseline', 'candidate'].map((role) => ({ name: role, role, baseUrl: server.url, routes: {}, headers: { authorization: 'Bearer ${REPLAY_TOKEN}' } }));
    writeFileSync(ws.configFile, JSON.stringify({ name: 'replay-targets', targets }));
    const asRun = await runCli(['validate', ws.configFile], { REPLAY_TOKEN: 'replay-sekrit' });
    expect(asRun.code).toBe(ExitCode.error);
    expect(asRun.stderr).toMatch(/→ at scenarios/);
    expect(asRun.stderr).toContain('parity validate <config> --replay');

    const policy = path.join(ws.dir, 'replay-policy.yaml');
    writeFileSync(policy, ['name: replay', 'gates:', '  - { metric: error_rate, threshold: "<= +1pp" }', '  - { metric: latency.p95, threshold: "<= 1.5x baseline", route: "GET /api/items/:id" }', ''].join('\n'));
    const asReplay = await runCli(['validate', ws.configFile, '--replay', '--policy', policy], { REPLAY_TOKEN: 'replay-sekrit' });
    expect(asReplay.code, asReplay.stderr).toBe(ExitCode.pass);
    expect(asReplay.stdout).toContain('headers: authorization (values not shown)');
    expect(asReplay.stdout).toContain('policy: replay');
    expect(asReplay.stdout).toContain("checked against the capture's endpoints when parity replay reads it");
    expect(asReplay.stdout).not.toContain('replay-sekrit');

    // What --replay still checks: a target's ${ENV} header with the variable unset is refused as in a replay.
    const unset = await runCli(['validate', ws.configFile, '--replay'], {});
    expect(unset.code).toBe(ExitCode.error);
    expect(unset.stderr).toContain('REPLAY_TOKEN');
    expect(server.connections()).toBe(0);
  });
});
