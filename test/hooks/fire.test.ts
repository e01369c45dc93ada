import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendAudit, auditFileFor } from '../../harness/hooks/audit.ts';
import { KILL_GRACE_MS } from '../../harness/hooks/exec.ts';
import { fireHooks } from '../../harness/hooks/fire.ts';
import type { ExecHook, ResolvedHooks } from '../../harness/hooks/resolve.ts';
import type { RunResult, Verdict } from '../../harness/run/result.ts';
import { pairs, runOf, tempDir } from '../helpers/gates.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A node one-liner as an argv hook (no shell). */
function node(code: string, over: Partial<ExecHook> = {}): ExecHook {
  return { kind: 'exec', argv: [process.execPath, '-e', code, '--'], shell: false, cwd: process.cwd(), env: {}, timeoutMs: 10_000, display: 'node', ...over };
}

/** Writes the hook's env (PARITY_*) and stdin to `<dir>/<name>.json`. */
const recorder = (dir: string, name: string) =>
  node(
    `const fs=require('fs');const env=Object.fromEntries(Object.entries(process.env).filter(([k])=>k.startsWith('PARITY_')));` +
      `fs.writeFileSync(${JSON.stringify(path.join(dir, `${name}.json`))}, JSON.stringify({env, stdin: fs.readFileSync(0,'utf8')}));`,
  );

/** Running (a killed process the container's init has not reaped yet is a zombie: not running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

const hooks = (h: Partial<ResolvedHooks>): ResolvedHooks => ({ pass: [], fail: [], inconclusive: [], ...h });

function verdict(status: Verdict['status'], gateId = 'p95-latency-ratio'): Verdict {
  return {
    status,
    policy: 'test-policy',
    gates: [
      {
        id: gateId,
        description: 'completion.p95 <= 1.2x baseline',
        metric: 'completion.p95',
        scenario: null,
        comparison: 'ratio',
        severity: 'fail',
        status: status === 'pass' ? 'pass' : status,
        observed: { baseline: 100, candidate: 150 },
        value: 1.5,
        limit: 1.2,
        margin: -0.3,
        interval: null,
        samples: { baseline: 10, candidate: 10, min: 1 },
        reason: `${gateId}: candidate/baseline 1.5x`,
      },
    ],
    reasons: [`${status.toUpperCase()} ${gateId}: candidate/baseline 1.5x`],
    evaluatedAt: new Date(0).toISOString(),
  };
}

const ctx = (v: Verdict, run: RunResult = runOf(pairs(5, () => ({}), () => ({})))) => ({ verdict: v, run, runJson: '/tmp/parity/run-1/run.json', policy: { name: 'test-policy', file: '/tmp/policy.yaml' } });

describe('firing hooks', () => {
  it('pass fires only onPass, fail only onFail, inconclusive only onInconclusive', async () => {
    const dir = tempDir();
    const h = hooks({ pass: [recorder(dir, 'pass')], fail: [recorder(dir, 'fail')], inconclusive: [recorder(dir, 'inconclusive')] });
    for (const status of ['pass', 'fail', 'inconclusive'] as const) {
      const sub = path.join(dir, status);
      mkdirSync(sub);
      const results = await fireHooks(
        hooks({ pass: [recorder(sub, 'pass')], fail: [recorder(sub, 'fail')], inconclusive: [recorder(sub, 'inconclusive')] }),
        ctx(verdict(status)),
        { dryRun: false, secrets: [] },
      );
      expect(results.map((r) => [r.on, r.ok, r.exitCode])).toEqual([[status, true, 0]]);
      for (const other of ['pass', 'fail', 'inconclusive']) expect(existsSync(path.join(sub, `${other}.json`)), `${status} → ${other}`).toBe(other === status);
      const got = JSON.parse(readFileSync(path.join(sub, `${status}.json`), 'utf8'));
      expect(got.env).toMatchObject({ PARITY_VERDICT: status, PARITY_RUN_JSON: '/tmp/parity/run-1/run.json', PARITY_POLICY: 'test-policy', PARITY_RUN_ID: 'run-1', PARITY_BASELINE_URL: 'http://127.0.0.1:1' });
      expect(JSON.parse(got.stdin)).toMatchObject({ event: status, verdict: { status, policy: 'test-policy' }, run: { runId: 'run-1', complete: true } });
    }
    expect(h.pass).toHaveLength(1);
  });

  it('an incomplete run never fires onPass, even if handed a pass verdict', async () => {
    const dir = tempDir();
    const run = runOf(pairs(5, () => ({}), () => ({})), { complete: false, incompleteReason: 'interrupted' });
    const lines: string[] = [];
    const results = await fireHooks(hooks({ pass: [recorder(dir, 'pass')] }), ctx(verdict('pass'), run), { dryRun: false, secrets: [], log: (l) => lines.push(l) });
    expect(results).toEqual([]);
    expect(existsSync(path.join(dir, 'pass.json'))).toBe(false);
    expect(lines.join('\n')).toMatch(/onPass not fired: the run is incomplete \(interrupted\)/);
  });

  it('report values like $(touch …) and "; rm" reach the hook verbatim and execute nothing', async () => {
    const dir = tempDir();
    const touched = path.join(dir, 'touched');
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'still here');
    const evilGate = `p95$(touch ${touched})`;
    const evilName = `release; rm -f ${victim}; echo \`touch ${touched}\``;
    const run = runOf(pairs(5, () => ({}), () => ({})), { name: evilName });
    const v = verdict('fail', evilGate);
    // No shell: argv as given.
    await fireHooks(hooks({ fail: [recorder(dir, 'argv')] }), ctx(v, run), { dryRun: false, secrets: [] });
    // Explicit shell: the values are still data in the environment, expanded once and never re-evaluated.
    const shellHook: ExecHook = {
      kind: 'exec',
      argv: [`printf '%s\\n%s' "$PARITY_RUN_NAME" "$PARITY_FAILED_GATES" > ${JSON.stringify(path.join(dir, 'shell.txt'))}`],
      shell: true,
      cwd: dir,
      env: {},
      timeoutMs: 10_000,
      display: 'sh',
    };
    const [r] = await fireHooks(hooks({ fail: [shellHook] }), ctx(v, run), { dryRun: false, secrets: [] });
    expect(r!.ok).toBe(true);
    const got = JSON.parse(readFileSync(path.join(dir, 'argv.json'), 'utf8'));
    expect(got.env.PARITY_RUN_NAME).toBe(evilName);
    expect(got.env.PARITY_FAILED_GATES).toBe(evilGate);
    expect(got.env.PARITY_REASONS).toContain(evilGate);
    const stdin = JSON.parse(got.stdin);
    expect(stdin.run.name).toBe(evilName);
    expect(stdin.verdict.gates[0].id).toBe(evilGate);
    expect(readFileSync(path.join(dir, 'shell.txt'), 'utf8')).toBe(`${evilName}\n${evilGate}`);
    expect(existsSync(touched)).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('still here');
  });

  it('a hook that hangs is killed at its timeout, with everything it started, and reported', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    // Through a shell that backgrounds a child: the whole process group must go.
    const hang: ExecHook = {
      kind: 'exec',
      argv: [`${JSON.stringify(process.execPath)} -e "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)" ${JSON.stringify(pidFile)} & wait`],
      shell: true,
      cwd: dir,
      env: {},
      timeoutMs: 600,
      display: 'sh',
    };
    const t0 = Date.now();
    const [r] = await fireHooks(hooks({ fail: [hang] }), ctx(verdict('fail')), { dryRun: false, secrets: [] });
    const took = Date.now() - t0;
    expect(r).toMatchObject({ ok: false, timedOut: true, on: 'fail' });
    expect(r!.error).toMatch(/killed after the 600 ms timeout/);
    expect(r!.durationMs).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(600 + KILL_GRACE_MS + 2000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
  });

  it('records exit code, output tails and failures; scrubs secrets from what it records', async () => {
    const [r] = await fireHooks(
      hooks({ fail: [node(`console.log('token is s3cret-value'); console.error('boom'); process.exit(4)`)] }),
      ctx(verdict('fail')),
      { dryRun: false, secrets: ['s3cret-value'] },
    );
    expect(r).toMatchObject({ ok: false, exitCode: 4, attempts: 1, timedOut: false, stdoutTail: 'token is [redacted]\n', stderrTail: 'boom\n', error: 'exited with 4' });
    const [missing] = await fireHooks(hooks({ fail: [{ ...node(''), argv: ['/nonexistent/rollback.sh'], display: '/nonexistent/rollback.sh' }] }), ctx(verdict('fail')), { dryRun: false, secrets: [] });
    expect(missing).toMatchObject({ ok: false, exitCode: null });
    expect(missing!.error).toMatch(/command not found: \/nonexistent\/rollback\.sh/);
    const [noDir] = await fireHooks(hooks({ fail: [node('', { cwd: '/nonexistent-dir' })] }), ctx(verdict('fail')), { dryRun: false, secrets: [] });
    expect(noDir).toMatchObject({ ok: false, error: 'working directory not found: /nonexistent-dir' });
  });

  it('--dry-run prints what would fire and executes nothing', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const results = await fireHooks(
      hooks({ fail: [recorder(dir, 'fail'), { kind: 'webhook', url: 'http://127.0.0.1:9/x', headers: {}, timeoutMs: 100, retries: 0, backoffMs: 1, display: 'http://127.0.0.1:9/x' }] }),
      ctx(verdict('fail')),
      { dryRun: true, secrets: [], log: (l) => lines.push(l) },
    );
    expect(results.map((r) => [r.kind, r.dryRun, r.attempts])).toEqual([
      ['exec', true, 0],
      ['webhook', true, 0],
    ]);
    expect(existsSync(path.join(dir, 'fail.json'))).toBe(false);
    expect(lines[0]).toMatch(/^onFail: would run ".*node" "-e" .*\(dry run: nothing executed\)$/);
    expect(lines[1]).toMatch(/^onFail: would run POST http:\/\/127\.0\.0\.1:9\/x/);
  });

  it('appends the verdict and each hook to <outDir>/audit.ndjson, run after run', async () => {
    const out = tempDir();
    const runJson = path.join(out, 'run-1', 'run.json');
    const file = auditFileFor(runJson);
    expect(file).toBe(path.join(out, 'audit.ndjson'));
    const [r] = await fireHooks(hooks({ fail: [node('')] }), { ...ctx(verdict('fail')), runJson }, { dryRun: false, secrets: [] });
    await appendAudit(file, { runId: 'run-1', runJson, policy: 'p', verdict: verdict('fail'), hooks: [r!], dryRun: false });
    await appendAudit(file, { runId: 'run-2', runJson, policy: 'p', verdict: verdict('inconclusive'), hooks: [], dryRun: true });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.runId, l.verdict])).toEqual([
      ['verdict', 'run-1', 'fail'],
      ['hook', 'run-1', 'fail'],
      ['verdict', 'run-2', 'inconclusive'],
    ]);
    expect(lines[0].failedGates).toEqual(['p95-latency-ratio']);
    expect(lines[1].hook).toMatchObject({ on: 'fail', kind: 'exec', ok: true, exitCode: 0 });
    expect(lines[2].dryRun).toBe(true);
  });
});

describe('example hook: seed 000 one-click rollback', () => {
  const script = path.join(ROOT, 'scenarios/hooks/rollback-frontend.mjs');
  const rollback = (envFile: string): ExecHook => ({ kind: 'exec', argv: [process.execPath, script, '--env-file', envFile], shell: false, cwd: ROOT, env: {}, timeoutMs: 10_000, display: 'node' });

  it('on fail, switches the frontend env file back to the baseline and keeps its other lines', async () => {
    const envFile = path.join(tempDir(), '.env.local');
    writeFileSync(envFile, 'VITE_USE_NODE_BACKEND=true\nVITE_CHAT_API_BASE_URL=http://localhost:3000\nVITE_THEME=dark\n');
    const [r] = await fireHooks(hooks({ fail: [rollback(envFile)] }), ctx(verdict('fail')), { dryRun: false, secrets: [] });
    expect(r!.ok, r!.stderrTail).toBe(true);
    expect(r!.stdoutTail).toMatch(/rolled back .* to the baseline http:\/\/127\.0\.0\.1:1 \(run run-1, failed gates: p95-latency-ratio\)/);
    expect(readFileSync(envFile, 'utf8')).toBe('VITE_USE_NODE_BACKEND=false\nVITE_CHAT_API_BASE_URL=http://127.0.0.1:1\nVITE_THEME=dark\n');
  });

  it('does nothing for any verdict but fail', async () => {
    const envFile = path.join(tempDir(), '.env.local');
    writeFileSync(envFile, 'VITE_USE_NODE_BACKEND=true\n');
    const [r] = await fireHooks(hooks({ inconclusive: [rollback(envFile)] }), ctx(verdict('inconclusive')), { dryRun: false, secrets: [] });
    expect(r!.ok).toBe(true);
    expect(readFileSync(envFile, 'utf8')).toBe('VITE_USE_NODE_BACKEND=true\n');
  });
});
