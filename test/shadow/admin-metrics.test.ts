import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairedSample, StreamSample } from '../../harness/metrics/sample.ts';
import { startAdmin, type AdminServer } from '../../harness/sources/shadow/admin.ts';
import { initialRollout } from '../../harness/sources/shadow/rollout.ts';

/**
 * The admin port's /metrics for request routes (`shadow.routes.<r>.kind: request`, or `auto` on a
 * request that does not accept text/event-stream): their successes are `ok`, not `complete`, and
 * the completion histogram counted only `complete`, so a request route's latency never reached the
 * exposition a dashboard or an Argo/Flagger metric query reads.
 */
describe('shadow admin /metrics', () => {
  let admin: AdminServer;
  beforeAll(async () => {
    admin = await startAdmin(() => ({ rollout: initialRollout(), lastWindow: null, current: { index: 1, pairs: 0, startedAt: new Date().toISOString() } }), { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => admin.close());

  const side = (role: 'baseline' | 'candidate', route: string, outcome: StreamSample['outcome'], completionMs?: number, firstContentMs?: number) =>
    ({ target: role === 'baseline' ? 'py' : 'node', role, scenario: route, outcome, completionMs, firstContentMs }) as StreamSample;
  const pair = (b: StreamSample, c: StreamSample) => ({ baseline: b, candidate: c }) as PairedSample;

  it('observes every successful response\'s whole time (streams complete, requests ok), failures only as outcomes', async () => {
    admin.observe(pair(side('baseline', 'lots', 'ok', 120), side('candidate', 'lots', 'ok', 300)));
    admin.observe(pair(side('baseline', 'lots', 'ok', 110), side('candidate', 'lots', 'http_error', 5)));
    admin.observe(pair(side('baseline', 'chat', 'complete', 900, 80), side('candidate', 'chat', 'reset', 40, 60)));
    const text = await (await request(`${admin.url}/metrics`)).body.text();
    const byName = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    expect(byName.get('parity_shadow_completion_seconds')?.type).toBe('HISTOGRAM');
    // The parser keeps no labels on histogram series: their _count and _sum are read from the text.
    const series = (suffix: string, target: string, route: string) =>
      Number(new RegExp(`^parity_shadow_completion_seconds_${suffix}\\{target="${target}",role="[a-z]+",route="${route}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    expect([series('count', 'py', 'lots'), series('count', 'node', 'lots'), series('count', 'py', 'chat'), series('count', 'node', 'chat')]).toEqual([2, 1, 1, 0]);
    expect(series('sum', 'node', 'lots')).toBeCloseTo(0.3, 6);
    const outcomes = byName.get('parity_shadow_streams_total')!.metrics.map((m) => `${m.labels!.target}/${m.labels!.route}/${m.labels!.outcome}=${m.value}`);
    expect(outcomes.sort()).toEqual(['node/chat/reset=1', 'node/lots/http_error=1', 'node/lots/ok=1', 'py/chat/complete=1', 'py/lots/ok=2']);
  });
});
