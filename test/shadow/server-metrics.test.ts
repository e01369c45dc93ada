import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../fixtures/backends/chat-backend.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { evaluatePolicy } from '../../harness/gates/evaluate.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { drive } from '../helpers/drive.ts';
import { startPrometheus, type PrometheusHandle } from '../helpers/prometheus.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * Live traffic through the inline shadow proxy, and a real Prometheus (Debian's) scraping both
 * fixtures every second. The candidate's queue gauge is moved to 150 for 1.5 s in the middle of
 * window 2 only, at least a second clear of the window's ends (Prometheus' `settle` runs one
 * second past a window's end; one scrape carries a value for a second). Each window reads the
 * server-side series over its own time range: window 2 sees the spike and fails its
 * `server.queue.max` gate, windows 1 and 3 do not see it, and the cumulative run sees it.
 */
const SPIKE = { afterMs: 2500, holdMs: 1500, value: 150, normal: 10 };

describe('parity shadow: server-side metrics read for each window', () => {
  let prom: PrometheusHandle;
  let base: ChatFixture;
  let cand: ChatFixture;
  let windows: RunResult[];
  let cumulative: RunResult;
  let code: number;
  let spikeAt: { on: number; off: number };
  const ws = tempWorkspace();
  const ghostPolicy = path.join(ws.dir, 'ghost.yaml');
  let config: ConfigInput;

  beforeAll(async () => {
    base = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', metrics: { queueLength: SPIKE.normal } });
    cand = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', metrics: { queueLength: SPIKE.normal } });
    const hostOf = (f: ChatFixture) => new URL(f.url).host;
    prom = await startPrometheus([hostOf(base), hostOf(cand)], { scrapeIntervalMs: 1000 });
    await prom.waitForScrapes(2);
    config = {
      name: 'shadow server metrics',
      targets: [
        { name: 'py', role: 'baseline', baseUrl: base.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
        { name: 'node', role: 'candidate', baseUrl: cand.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      ],
      shadow: { routes: { chat: { allowWrites: true } }, abortCheck: 0, window: '6s', failureLimit: 3 },
      load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '2s', total: '10s' } },
      preflight: { retries: 0, interval: 10 },
      metrics: {
        prometheus: prom.url,
        step: '1s',
        interval: '500ms',
        settle: '1s',
        series: [
          { name: 'queue', prometheus: 'fixture_queue_length{instance="{{instance}}"}' },
          { name: 'queue_scraped', scrape: 'fixture_queue_length' },
          // A query that is valid PromQL but matches nothing: an empty series in every window.
          { name: 'ghost', prometheus: 'parity_test_no_such_metric{instance="{{instance}}"}' },
        ],
      },
    };
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, ['name: shadow-server', 'minSamples: 20', 'gates:', '  - { name: queue, metric: server.queue.max, threshold: "< 100" }', ''].join('\n'));
    writeFileSync(ghostPolicy, ['name: ghost', 'gates:', '  - { name: ghost, metric: server.ghost.max, threshold: "<= 1" }', ''].join('\n'));

    const s = await startShadow(config, { policy, windows: 3, admin: { host: '127.0.0.1', port: 0 } });
    const load = drive(`${s.url}/chat-stream`, { concurrency: 4, until: s.done });
    // Window 2's own start, from the controller endpoint; the spike sits well inside it.
    let started: number | undefined;
    while (started === undefined) {
      const v = (await (await request(`${s.adminUrl}/verdict`)).body.json()) as { current: { index: number; startedAt: string } };
      if (v.current.index === 2) started = Date.parse(v.current.startedAt);
      else await sleep(25);
    }
    await sleep(Math.max(0, started + SPIKE.afterMs - Date.now()));
    cand.metrics.setQueue(SPIKE.value);
    const on = Date.now();
    await sleep(SPIKE.holdMs);
    cand.metrics.setQueue(SPIKE.normal);
    spikeAt = { on, off: Date.now() };
    ({ code } = await s.done);
    await load;
    const read = (...p: string[]) => JSON.parse(readFileSync(path.join(s.dir, ...p, 'run.json'), 'utf8')) as RunResult;
    windows = [1, 2, 3].map((n) => read('windows', String(n)));
    cumulative = read('cumulative');
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await Promise.all([base?.close(), cand?.close()]);
  });

  const series = (run: RunResult, name: string, role: 'baseline' | 'candidate') => run.serverMetrics!.series.find((x) => x.name === name && x.role === role)!;
  const gate = (run: RunResult, id: string) => run.verdict!.gates.find((g) => g.id === id)!;

  it("reads each window's series over that window's own time range, the spike in window 2 only", () => {
    const timing = JSON.stringify({ spikeAt, windows: windows.map((w) => [w.startedAt, w.serverMetrics?.startedAt, w.serverMetrics?.endedAt]) });
    for (const [i, w] of windows.entries()) {
      expect(w.serverMetrics, timing).toBeDefined();
      // The series' window opens with the shadow window, and ends before the next one has gone a second.
      expect(Math.abs(Date.parse(w.serverMetrics!.startedAt) - Date.parse(w.startedAt)), timing).toBeLessThan(1000);
      if (i > 0) expect(Date.parse(windows[i - 1]!.serverMetrics!.endedAt) - Date.parse(w.serverMetrics!.startedAt), timing).toBeLessThan(1000);
      // The window ends when its series' range does; reading them afterwards (Prometheus' settle) is not part of its time.
      expect(Math.abs(Date.parse(w.endedAt!) - Date.parse(w.serverMetrics!.endedAt)), timing).toBeLessThan(1000);
      expect(Math.abs(w.load.durationMs - (Date.parse(w.endedAt!) - Date.parse(w.startedAt)))).toBeLessThanOrEqual(5);
      const inside = i === 1;
      for (const name of ['queue', 'queue_scraped']) {
        const c = series(w, name, 'candidate');
        expect(c.error, `${name} window ${i + 1}`).toBeUndefined();
        expect(c.stats?.max, `${name} window ${i + 1}: ${timing}`).toBe(inside ? SPIKE.value : SPIKE.normal);
        expect(series(w, name, 'baseline').stats?.max).toBe(SPIKE.normal);
      }
    }
    // Window 2's range holds the spike, as the test set it.
    expect(Date.parse(windows[1]!.serverMetrics!.startedAt)).toBeLessThan(spikeAt.on);
    expect(Date.parse(windows[1]!.serverMetrics!.endedAt)).toBeGreaterThan(spikeAt.off);
  });

  it('the server gate judges each window: window 2 fails on it, windows 1 and 3 pass it; the cumulative run sees the spike', () => {
    expect(windows.map((w) => gate(w, 'queue').status)).toEqual(['pass', 'fail', 'pass']);
    expect(gate(windows[1]!, 'queue').observed.candidate).toBe(SPIKE.value);
    expect(windows[1]!.verdict!.status).toBe('fail');
    for (const w of [windows[0]!, windows[2]!]) expect(w.verdict!.status).not.toBe('fail');
    expect(series(cumulative, 'queue', 'candidate').stats?.max).toBe(SPIKE.value);
    expect(cumulative.verdict!.status).toBe('fail');
    // One failing window of failureLimit 3: no decision, exit 2.
    expect(code).toBe(2);
  });

  it('a series with no data leaves its gate inconclusive in every window, never a pass', async () => {
    const policy = await loadPolicy(ghostPolicy, {});
    for (const w of windows) {
      expect(series(w, 'ghost', 'candidate').error).toMatch(/empty series/);
      const v = evaluatePolicy(policy, w, []);
      const g = v.gates.find((x) => x.id === 'ghost')!;
      expect(g.status, g.reason).toBe('inconclusive');
      expect(v.status).not.toBe('pass');
    }
  });

  it('bad PromQL, or a gate on a series the config does not read, is a config error (exit 3) before parity listens', async () => {
    const write = (name: string, cfg: ConfigInput) => {
      const file = path.join(ws.dir, name);
      writeFileSync(file, JSON.stringify(cfg));
      return file;
    };
    const shadow = (file: string, policy?: string) => runCli(['shadow', file, '--listen', '127.0.0.1:0', '--windows', '1', '--window', '1s', '--out', ws.out, ...(policy ? ['--policy', policy] : [])], {});
    const badQuery = write('bad-query.json', { ...config, metrics: { ...config.metrics!, series: [{ name: 'queue', prometheus: 'sum(rate(fixture_queue_length[' }] } });
    const r = await shadow(badQuery);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toMatch(/metrics\.series\[0\]\.prometheus/);
    expect(r.stdout).not.toMatch(/listening/);
    const unread = path.join(ws.dir, 'unread.yaml');
    writeFileSync(unread, ['name: unread', 'gates:', '  - { name: cpu, metric: server.cpu.max, threshold: "<= 0.9" }', ''].join('\n'));
    const r2 = await shadow(write('ok.json', config), unread);
    expect(r2.code, r2.stdout + r2.stderr).toBe(3);
    expect(r2.stderr).toMatch(/no server-side series "cpu"/);
    expect(r2.stdout).not.toMatch(/listening/);
  });
});
