import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../fixtures/backends/chat-backend.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { nextRollout, initialRollout } from '../../harness/sources/shadow/rollout.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { drive } from '../helpers/drive.ts';
import { startShadow } from '../helpers/shadow.ts';

function config(b: ChatFixture, c: ChatFixture, shadow: NonNullable<ConfigInput['shadow']>): ConfigInput {
  return {
    name: 'shadow windows',
    targets: [
      { name: 'py', role: 'baseline', baseUrl: b.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      { name: 'node', role: 'candidate', baseUrl: c.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
    ],
    shadow: { routes: { chat: { allowWrites: true } }, abortCheck: 0, ...shadow },
    load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '2s', total: '10s' } },
    preflight: { retries: 0, interval: 10 },
  };
}

/** A policy on the interruption delta whose hooks leave a line in `marks` when they fire. */
function policyFile(marks: string): string {
  const ws = tempWorkspace();
  const file = path.join(ws.dir, 'policy.yaml');
  const hook = (what: string) => `    - exec: [node, -e, "require('fs').appendFileSync(process.argv[1], '${what} ' + process.env.PARITY_RUN_ID + '\\\\n')", ${JSON.stringify(marks)}]`;
  writeFileSync(
    file,
    ['name: shadow-test', 'minSamples: 100', 'gates:', '  - name: interruption-delta', '    metric: interruption_rate', "    threshold: '<= +0.5pp'", 'hooks:', '  onFail:', hook('fail'), '  onPass:', hook('pass'), ''].join('\n'),
  );
  return file;
}

const fixtures: ChatFixture[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

function readWindow(dir: string, n: number) {
  return JSON.parse(readFileSync(path.join(dir, 'windows', String(n), 'run.json'), 'utf8'));
}

describe('rollout over windows', () => {
  it('rolls back after failureLimit failing windows in a row, not before; inconclusive neither promotes nor rolls back', () => {
    const o = { failureLimit: 2, passWindows: 2, minSoakMs: 0, elapsedMs: 0 };
    let s = initialRollout();
    s = nextRollout(s, 'fail', o);
    expect(s.decision).toBe('continue');
    s = nextRollout(s, 'inconclusive', o);
    expect(s).toMatchObject({ decision: 'continue', consecutiveFailures: 1 });
    s = nextRollout(s, 'fail', o);
    expect(s.decision).toBe('rollback');
    let p = initialRollout();
    for (const w of ['pass', 'inconclusive', 'pass'] as const) p = nextRollout(p, w, o);
    expect(p.decision).toBe('continue');
    p = nextRollout(p, 'pass', o);
    expect(p.decision).toBe('promote');
    expect(nextRollout(nextRollout(initialRollout(), 'pass', { ...o, passWindows: 1, minSoakMs: 1000, elapsedMs: 10 }), 'pass', { ...o, passWindows: 1, minSoakMs: 1000, elapsedMs: 2000 }).decision).toBe('promote');
  });
});

describe('parity shadow windows on live traffic', () => {
  it('a candidate with +3 pp interruptions: windows fail and onFail fires after failureLimit windows, not before; the controller endpoints follow', async () => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', faults: { reset: 0.03 } });
    fixtures.push(b, c);
    const marks = path.join(tempWorkspace().dir, 'marks.txt');
    const s = await startShadow(config(b, c, { window: '2s', failureLimit: 2 }), { policy: policyFile(marks), windows: 4, admin: { host: '127.0.0.1', port: 0 } });
    const gathering = await request(`${s.adminUrl}/rollout`, { method: 'POST' });
    expect(gathering.statusCode).toBe(200);
    expect(await gathering.body.json()).toMatchObject({ status: 'gathering', decision: 'continue' });
    const load = drive(`${s.url}/chat-stream`, { concurrency: 16, until: s.done });
    // Once parity has decided (while it still runs), the Flagger endpoints say so.
    let decided: { decision: string; rollout: number; rollback: number; promotion: number; metrics: string } | undefined;
    while (!decided) {
      const v = (await (await request(`${s.adminUrl}/verdict`)).body.json()) as { decision: string };
      if (v.decision !== 'continue') {
        const [rollout, rollback, promotion] = await Promise.all(['/rollout', '/rollback', '/confirm-promotion'].map((p) => request(`${s.adminUrl}${p}`, { method: 'POST' })));
        await Promise.all([rollout!.body.dump(), rollback!.body.dump(), promotion!.body.dump()]);
        const metrics = await (await request(`${s.adminUrl}/metrics`)).body.text();
        decided = { decision: v.decision, rollout: rollout!.statusCode, rollback: rollback!.statusCode, promotion: promotion!.statusCode, metrics };
      } else await new Promise((r) => setTimeout(r, 50));
    }
    const { code } = await s.done;
    await load;

    expect(decided).toMatchObject({ decision: 'rollback', rollout: 503, rollback: 200, promotion: 403 });
    expect(code).toBe(1);
    const windows = [1, 2, 3, 4].map((n) => readWindow(s.dir, n));
    // The hooks fire in the window that makes failureLimit (2) failures in a row, and in no other.
    let run = 0;
    const deciding = windows.findIndex((w) => (run = w.verdict.status === 'fail' ? run + 1 : w.verdict.status === 'pass' ? 0 : run) >= 2);
    expect(deciding).toBeGreaterThan(0);
    expect(windows.filter((w) => w.verdict.status === 'fail').length).toBeGreaterThanOrEqual(2);
    windows.forEach((w, i) => expect(w.hooks ?? []).toHaveLength(i === deciding ? 1 : 0));
    expect(windows[deciding].hooks[0]).toMatchObject({ on: 'fail', ok: true });
    expect(readFileSync(marks, 'utf8').trim().split('\n')).toEqual([`fail ${windows[deciding].runId}`]);
    // A failing window measured the injected 3 % resets on the candidate, none on the baseline.
    const failing = windows.find((w) => w.verdict.status === 'fail');
    const cand = failing.summaries[0].candidate;
    expect(cand.outcomes.reset / cand.count).toBeGreaterThan(0.01);
    expect(cand.outcomes.reset / cand.count).toBeLessThan(0.06);
    expect(failing.summaries[0].baseline.outcomes.reset).toBe(0);

    const families = parsePrometheusTextFormat(decided!.metrics);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('parity_shadow_first_content_seconds')?.type).toBe('HISTOGRAM');
    const streams = byName.get('parity_shadow_streams_total')!;
    const resets = streams.metrics.filter((m) => m.labels?.target === 'node' && m.labels?.outcome === 'reset').reduce((a, m) => a + Number(m.value), 0);
    expect(resets).toBeGreaterThan(0);
    expect(byName.get('parity_shadow_last_window_status')?.metrics[0]?.value).toBe('-1');
    const cumulative = JSON.parse(readFileSync(path.join(s.dir, 'cumulative', 'run.json'), 'utf8'));
    expect(cumulative.samples.pairs).toBe(windows.reduce((a, w) => a + w.samples.pairs, 0));
  });

  it('identical backends: no window fails over 20 windows', async () => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    fixtures.push(b, c);
    const marks = path.join(tempWorkspace().dir, 'marks.txt');
    // A long shadow run must not gather listeners per window (a leak the runtime warns about past 10).
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const s = await startShadow(config(b, c, { window: '400ms', failureLimit: 1, passWindows: 100 }), { policy: policyFile(marks), windows: 20 });
    const load = drive(`${s.url}/chat-stream`, { concurrency: 8, until: s.done });
    const { code } = await s.done;
    await load;
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
    const statuses = Array.from({ length: 20 }, (_, i) => readWindow(s.dir, i + 1).verdict.status);
    expect(statuses).not.toContain('fail');
    expect(code).toBe(2);
    expect(existsSync(marks)).toBe(false);
  });

  it('a shadow stopped mid-window (Ctrl-C) leaves that window incomplete: never a pass, no onPass, exit 2', async () => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    fixtures.push(b, c);
    const marks = path.join(tempWorkspace().dir, 'marks.txt');
    // Identical backends and a promotion after a single passing window: only the cut-short window stands in the way.
    const s = await startShadow(config(b, c, { window: '1m', passWindows: 1 }), { policy: policyFile(marks) });
    const stop = new AbortController();
    const load = drive(`${s.url}/chat-stream`, { concurrency: 8, until: new Promise((r) => stop.signal.addEventListener('abort', r)), max: 400 });
    await load;
    const { code } = await s.stop();
    stop.abort();
    const w = readWindow(s.dir, 1);
    expect(w.samples.pairs).toBeGreaterThan(100);
    expect(w.complete).toBe(false);
    expect(w.incompleteReason).toBe('interrupted');
    expect(w.verdict.status).not.toBe('pass');
    expect(code).toBe(2);
    expect(existsSync(marks)).toBe(false);
  });
  it('a window that already fails on evidence ends early (judged in the judge thread while the proxy serves), as FAIL', async () => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', faults: { reset: 0.2 } });
    fixtures.push(b, c);
    const marks = path.join(tempWorkspace().dir, 'marks.txt');
    const t0 = Date.now();
    // A 60 s window checked every 300 ms: with 20% of the candidate's streams reset, it fails long before its end.
    const s = await startShadow(config(b, c, { window: '60s', abortCheck: '300ms', failureLimit: 1 }), { policy: policyFile(marks), windows: 1, quiet: false });
    const load = drive(`${s.url}/chat-stream`, { concurrency: 8, until: s.done });
    const r = await s.done;
    const served = await load;
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(r.out).toMatch(/window 1 already fails after \d+ pairs: ending it early/);
    const w = readWindow(s.dir, 1);
    expect(w.verdict.status).toBe('fail');
    expect(w.samples.pairs).toBeGreaterThanOrEqual(100);
    // Clients were answered by the baseline throughout (no other status; 0 is a refused connection once parity stopped listening).
    expect(served.statuses.get(200)).toBeGreaterThanOrEqual(w.samples.pairs);
    expect([...served.statuses.keys()].filter((k) => k !== 200 && k !== 0)).toEqual([]);
    expect(r.code).toBe(1);
  }, 60_000);

  it('a judge thread that cannot start leaves the windows judged on the main thread: a failing candidate still fails', async () => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream' });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', faults: { reset: 0.2 } });
    fixtures.push(b, c);
    // A policy that loads on the main thread and throws in any other: the judge thread breaks at start.
    const policy = path.join(tempWorkspace().dir, 'main-thread-only.policy.ts');
    writeFileSync(
      policy,
      [
        "import { isMainThread } from 'node:worker_threads';",
        "if (!isMainThread) throw new Error('this policy loads on the main thread only');",
        "export default { name: 'main-only', minSamples: 30, gates: [{ name: 'interruption-delta', metric: 'interruption_rate', threshold: '<= +0.5pp' }] };",
        '',
      ].join('\n'),
    );
    const s = await startShadow(config(b, c, { window: '1500ms', abortCheck: '300ms', failureLimit: 2 }), { policy, windows: 2 });
    void drive(`${s.url}/chat-stream`, { concurrency: 8, until: s.done });
    const r = await s.done;
    expect(r.err).toMatch(/judge thread failed \(.*this policy loads on the main thread only\); judging on the main thread/);
    expect(readWindow(s.dir, 1).verdict.status).toBe('fail');
    expect(readWindow(s.dir, 2).verdict.status).toBe('fail');
    expect(r.code).toBe(1);
  }, 60_000);
});
