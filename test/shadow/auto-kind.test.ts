import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChatFixture, type ChatFixture } from '../../fixtures/backends/chat-backend.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { drive } from '../helpers/drive.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * A shadow route of kind `auto` (the default) is read by the request probe when the live request
 * does not accept text/event-stream and no stream scenario uses the route: browsers' fetch-based
 * chat clients often send no such header. A candidate that ends 20% of its streams without their
 * terminal event then read `ok` (the HTTP response completed): the interruption gate saw nothing
 * and the window passed. Now the baseline's SSE answers are counted and the window cannot pass;
 * with `kind: stream` the same candidate fails.
 */
describe('shadow: SSE answers on an auto route', () => {
  const fixtures: ChatFixture[] = [];
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
  });

  const policy = () => {
    const file = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(file, ['name: auto-kind', 'minSamples: 20', 'gates:', '  - { name: interruptions, metric: interruption_rate, threshold: "<= +2pp" }', ''].join('\n'));
    return file;
  };
  const config = (b: ChatFixture, c: ChatFixture, kind?: 'stream' | 'request'): ConfigInput => ({
    name: 'auto kind',
    targets: [
      { name: 'py', role: 'baseline', baseUrl: b.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
      { name: 'node', role: 'candidate', baseUrl: c.url, routes: { chat: 'POST /chat-stream' }, stream: 'named-events' },
    ],
    shadow: { routes: { chat: { allowWrites: true, ...(kind ? { kind } : {}) } }, abortCheck: 0, failureLimit: 1, passWindows: 1 },
    load: { vus: 1, iterations: 1, timeouts: { firstEvent: '5s', idle: '2s', total: '10s' } },
    preflight: { retries: 0, interval: 10 },
  });

  const oneWindow = async (kind?: 'stream' | 'request') => {
    const b = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', tokens: 3 });
    const c = await startChatFixture({ framing: 'named-events', streamPath: '/chat-stream', tokens: 3, faults: { noTerminal: 0.2 } });
    fixtures.push(b, c);
    const s = await startShadow(config(b, c, kind), { policy: policy(), windows: 1, windowMs: 1500 });
    // The clients send no Accept header (drive's requests: content-type only).
    await drive(`${s.url}/chat-stream`, { concurrency: 4, until: s.done, max: 200 });
    await s.done;
    return JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
  };

  it.each([
    ['kind auto, clients without Accept: every SSE answer counted, a harness warning naming the route and the fix, never a pass', undefined],
    ['kind request, set on purpose: the same, counted and never a pass (a stream read whole reads a cut stream as ok)', 'request'],
  ] as const)('%s', async (_name, kind) => {
    const w = await oneWindow(kind);
    expect(w.samples.pairs).toBeGreaterThanOrEqual(20);
    expect(w.shadow.streamsReadWhole).toBe(w.samples.pairs);
    expect(w.harness.warnings.join('\n')).toMatch(/SSE streams read as whole responses \(route chat: read by the request probe.*set shadow\.routes\.chat\.kind: stream/);
    expect(w.verdict.status).not.toBe('pass');
  }, 60_000);

  it('kind stream: the same candidate\'s streams without a terminal event fail the window', async () => {
    const w = await oneWindow('stream');
    expect(w.shadow.streamsReadWhole).toBe(0);
    const cand = w.summaries[0].candidate;
    expect(cand.outcomes.no_terminal / cand.count).toBeGreaterThan(0.1);
    expect(w.verdict.status).toBe('fail');
  }, 60_000);
});
