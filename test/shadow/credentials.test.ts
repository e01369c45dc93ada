import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../harness/config/schema.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { useAuthServers } from '../helpers/auth-servers.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';

/**
 * Shadow copies drop `authorization` and cookies by default. Inline, the baseline gets the user's
 * request (credentials and all) and the candidate a copy without them: a candidate that checks
 * them refused every copy, every window failed, and onFail rolled back a healthy candidate on a
 * setting. Such a refusal is now counted (`refusedUncredentialed`), not compared, and the window
 * cannot pass. The candidate's own headers (targets[].headers: a service credential) now go on its
 * copies, as a replay's do; the user's request to the baseline stays as it was sent.
 */
describe('parity shadow: copies without the users credentials', () => {
  const { urls, seen } = useAuthServers((k, authorization) => authorization === 'Bearer user-token' || (k === 1 && authorization === 'Bearer service-token'));

  const config = (candidateHeaders?: Record<string, string>): ConfigInput => ({
    name: 'shadow credentials',
    targets: [
      { name: 'old', role: 'baseline', baseUrl: urls[0]!, routes: { lot: 'GET /api/lots/:id' } },
      { name: 'new', role: 'candidate', baseUrl: urls[1]!, routes: { lot: 'GET /api/lots/:id' }, ...(candidateHeaders ? { headers: candidateHeaders } : {}) },
    ],
    shadow: { window: '1500ms', abortCheck: 0, failureLimit: 1 },
    preflight: { retries: 0, interval: 10 },
  });
  const policy = () => {
    const file = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(file, ['name: relative', 'minSamples: 30', 'gates:', '  - { metric: latency.p95, threshold: "<= 2x baseline or <= baseline + 50ms" }', '  - { metric: error_rate, threshold: "<= +1pp" }', ''].join('\n'));
    return file;
  };
  /** Users' requests with their own credentials through the inline proxy, until the shadow ends. */
  const users = async (url: string, until: Promise<unknown>) => {
    let stop = false;
    void until.finally(() => (stop = true));
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, k) => {
        for (let i = 0; !stop && i < 2000; i++) {
          const r = await request(`${url}/api/lots/L${k}-${i}`, { headers: { authorization: 'Bearer user-token' } }).catch(() => undefined);
          if (!r) return;
          statuses.push(r.statusCode);
          await r.body.dump();
          await new Promise((res) => setTimeout(res, 5));
        }
      }),
    );
    return statuses;
  };
  const windowRun = (dir: string, n: number) => JSON.parse(readFileSync(path.join(dir, 'windows', String(n), 'run.json'), 'utf8')) as RunResult;

  it('inline, the candidate refusing the credential-less copies: counted, not compared; no window fails or passes, no rollback', async () => {
    for (const s of seen) s.length = 0;
    const s = await startShadow(config(), { policy: policy(), windows: 2 });
    const statuses = await users(s.url, s.done);
    const r = await s.done;
    // Users were served by the baseline throughout.
    expect(statuses.length).toBeGreaterThan(60);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(seen[0]!.every((h) => h.authorization === 'Bearer user-token')).toBe(true);
    expect(seen[1]!.length).toBeGreaterThan(0);
    expect(seen[1]!.every((h) => h.authorization === undefined)).toBe(true);
    expect(r.code, r.err + r.out).toBe(2);
    for (const n of [1, 2]) {
      const w = windowRun(s.dir, n);
      expect(w.verdict?.status).toBe('inconclusive');
      expect(w.shadow!.refusedUncredentialed).toBeGreaterThan(0);
      expect(w.samples.pairs).toBe(0);
      expect(w.harness!.warnings.join('\n')).toMatch(/refused by the candidate \(401\/403\).*targets\[\]\.headers.*shadow\.allowHeaders/);
    }
  }, 60_000);

  it("with the candidate's own credential (targets[].headers) on its copies: compared, and the windows pass; the baseline still gets the user's request", async () => {
    for (const x of seen) x.length = 0;
    const s = await startShadow(config({ authorization: 'Bearer service-token' }), { policy: policy(), windows: 2 });
    await users(s.url, s.done);
    const r = await s.done;
    expect(seen[0]!.every((h) => h.authorization === 'Bearer user-token')).toBe(true);
    expect(seen[1]!.every((h) => h.authorization === 'Bearer service-token')).toBe(true);
    const w = windowRun(s.dir, 1);
    expect(w.shadow!.refusedUncredentialed).toBe(0);
    expect(w.samples.pairs).toBeGreaterThanOrEqual(30);
    expect(w.summaries[0]!.candidate.outcomes).toMatchObject({ http_error: 0 });
    // Judged on the pairs (the window's verdict may still wait on a busy machine's harness health).
    for (const g of w.verdict!.gates) expect([g.id, g.status, g.reason]).toEqual([g.id, 'pass', g.reason]);
    expect(r.err).not.toContain('service-token');
  }, 60_000);
});
