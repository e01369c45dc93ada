import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN_ENDPOINTS } from '../../harness/sources/shadow/admin.ts';

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/shadow');
const endpoint = (url: string) => new URL(url).pathname;

describe('shadow controller examples', () => {
  it('the Flagger Canary is a Canary whose webhooks are parity endpoints of the types Flagger knows', () => {
    const doc = parse(readFileSync(path.join(DEPLOY, 'flagger-canary.yaml'), 'utf8'));
    expect(doc).toMatchObject({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', spec: { targetRef: { kind: 'Deployment' }, analysis: { interval: expect.any(String), threshold: expect.any(Number) } } });
    const hooks = doc.spec.analysis.webhooks as { name: string; type: string; url: string }[];
    expect(hooks.map((h) => h.type).sort()).toEqual(['confirm-promotion', 'rollback', 'rollout']);
    for (const h of hooks) {
      expect(h.name).toBeTruthy();
      expect(ADMIN_ENDPOINTS).toContain(endpoint(h.url));
      expect(endpoint(h.url)).toBe(`/${h.type}`);
    }
  });

  it('the Argo Rollouts AnalysisTemplate reads /verdict with the web provider, fails on a failing window and counts only a passing one as a success', () => {
    const doc = parse(readFileSync(path.join(DEPLOY, 'argo-analysis-template.yaml'), 'utf8'));
    expect(doc).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate' });
    const [metric] = doc.spec.metrics;
    expect(metric).toMatchObject({ name: expect.any(String), successCondition: 'result == "pass"', failureCondition: 'result == "fail"', initialDelay: expect.any(String), provider: { web: { jsonPath: '{$.status}' } } });
    expect(endpoint(metric.provider.web.url)).toBe('/verdict');
  });
});

describe('shipped shadow config', () => {
  it('scenarios/python-to-node.shadow.yaml loads (routes opted in, rewrite, windows)', async () => {
    const { loadConfig } = await import('../../harness/config/load.ts');
    const loaded = await loadConfig(path.resolve(DEPLOY, '../../scenarios/python-to-node.shadow.yaml'), {});
    expect(loaded.config.shadow).toMatchObject({ routes: { 'chat.stream': { allowWrites: true } }, window: 300_000, failureLimit: 2, passWindows: 12, minSoak: 86_400_000 });
  });

  it('a rollout time (minSoak, window) written as a bare number is refused: it counts milliseconds, and minSoak: 86400 (a day in seconds) promoted after 86 s', async () => {
    const { resolveConfig } = await import('../../harness/config/load.ts');
    const targets = [{ name: 'a', role: 'baseline', baseUrl: 'http://127.0.0.1:1', routes: { chat: 'POST /c' } }, { name: 'b', role: 'candidate', baseUrl: 'http://127.0.0.1:2', routes: { chat: 'POST /c' } }];
    const err = await resolveConfig({ targets, shadow: { minSoak: 86400, window: 300 } }, 'x.yaml', {}).then(() => null, (e: Error) => e.message);
    expect(err).toMatch(/give a unit: a bare number counts milliseconds, so 86400 is 86\.4 s; write e\.g\. "24h"[\s\S]*at shadow\.minSoak/);
    expect(err).toMatch(/so 300 is 300 ms[\s\S]*at shadow\.window/);
    const ok = await resolveConfig({ targets, shadow: { minSoak: '24h', window: '5m' } }, 'x.yaml', {});
    expect(ok.config.shadow).toMatchObject({ minSoak: 86_400_000, window: 300_000 });
    expect((await resolveConfig({ targets, shadow: { minSoak: 0 } }, 'x.yaml', {})).config.shadow?.minSoak).toBe(0);
  });

  it('a shadow route missing from a target is a config error naming the fix', async () => {
    const { resolveConfig } = await import('../../harness/config/load.ts');
    const cfg = { targets: [{ name: 'a', role: 'baseline', baseUrl: 'http://127.0.0.1:1', routes: { chat: 'POST /c' } }, { name: 'b', role: 'candidate', baseUrl: 'http://127.0.0.1:2', routes: {} }], shadow: { routes: { chat: {} } } };
    await expect(resolveConfig(cfg, 'x.yaml', {})).rejects.toThrow(/not in the route map of target "b"[\s\S]*at shadow\.routes\.chat/);
  });
});
