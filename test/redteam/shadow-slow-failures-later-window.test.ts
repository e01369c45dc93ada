import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';
import { testServers } from '../helpers/servers.ts';

/**
 * A pair went to the window open when it finished, not the one its request arrived in, and a
 * window was judged on the pairs finished by its close. A candidate whose failures are slow (every
 * fourth copy answered 500 after 2.5 s, the rest at once) had none of its failures in the first
 * windows: each passed on the fast answers alone, and the rollout promoted after two of them
 * (passWindows: 2) before any failure was measured.
 */
const servers = testServers();
afterAll(() => servers.close());
const server = servers.start;

describe('shadow: a candidate whose failures are slow', () => {
  it("has them judged in the window its requests arrived in: no window passes on the fast answers alone, no promotion", async () => {
    const baseline = await server((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    let n = 0;
    const candidate = await server((_req, res) => {
      if (n++ % 4 === 3) setTimeout(() => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}'), 2500);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const ws = tempWorkspace();
    const policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, ['name: slow-failures', 'minSamples: 20', 'gates:', '  - name: errors', '    metric: error_rate', "    threshold: '<= +10pp'", ''].join('\n'));
    const s = await startShadow(
      {
        name: 'slow failures',
        targets: [
          { name: 'old', role: 'baseline', baseUrl: baseline, routes: { item: 'GET /item' } },
          { name: 'new', role: 'candidate', baseUrl: candidate, routes: { item: 'GET /item' } },
        ],
        shadow: { candidate: { concurrency: 1000, queue: 1000 }, window: '700ms', abortCheck: 0, passWindows: 2, failureLimit: 1 },
        load: { vus: 1, iterations: 1, timeouts: { total: '10s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { policy, windows: 4 },
    );
    let stop = false;
    void s.done.finally(() => (stop = true));
    const loop = async () => {
      while (!stop) {
        try {
          await (await request(`${s.url}/item`)).body.dump();
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await Promise.all([loop(), loop()]);
    const { code, out } = await s.done;
    const w1 = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(w1.samples.pairs).toBeGreaterThanOrEqual(20);
    // Window 1's own requests: a fourth of their copies failed on the candidate.
    expect(w1.summaries[0].candidate.count).toBe(w1.samples.pairs);
    expect(w1.verdict.status, out).toBe('fail');
    expect(code).toBe(1);
    expect(existsSync(path.join(s.dir, 'windows', '1', 'samples.ndjson'))).toBe(true);
  }, 20_000);
});
