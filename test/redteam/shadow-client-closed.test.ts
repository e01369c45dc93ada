import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/config.ts';
import { startShadow } from '../helpers/shadow.ts';
import { testServers } from '../helpers/servers.ts';

/**
 * Inline, a user who goes away before the baseline's answer is done (a closed tab, a chat stopped
 * mid-answer) cuts the baseline's response, not the candidate's copy. The pair went to the gates
 * with the baseline failed and the candidate's copy answered: the users' own aborts read as the
 * baseline's failures, and a candidate failing a fifth of its copies passed an error-rate gate
 * (candidate − baseline below zero).
 */
const servers = testServers();
afterAll(() => servers.close());
const server = servers.start;

describe('shadow inline: users who close the connection early', () => {
  it("are not the baseline's failures: a candidate failing a fifth of its copies fails the window", async () => {
    const json = (res: http.ServerResponse, code: number) => void res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
    // The baseline answers in 150 ms; the candidate at once, 500 to every fifth copy.
    const baseline = await server((_req, res) => void setTimeout(() => json(res, 200), 150));
    let n = 0;
    const candidate = await server((_req, res) => json(res, n++ % 5 === 4 ? 500 : 200));
    const policy = path.join(tempWorkspace().dir, 'policy.yaml');
    writeFileSync(policy, ['name: closed', 'minSamples: 20', 'gates:', '  - name: errors', '    metric: error_rate', "    threshold: '<= +5pp'", ''].join('\n'));
    const s = await startShadow(
      {
        name: 'closed',
        targets: [
          { name: 'old', role: 'baseline', baseUrl: baseline, routes: { item: 'GET /item' } },
          { name: 'new', role: 'candidate', baseUrl: candidate, routes: { item: 'GET /item' } },
        ],
        shadow: { window: '3s', abortCheck: 0, passWindows: 1, failureLimit: 1 },
        load: { vus: 1, iterations: 1, timeouts: { total: '5s' } },
        preflight: { retries: 0, interval: 10 },
      },
      { policy, windows: 1 },
    );
    let stop = false;
    void s.done.finally(() => (stop = true));
    // A third of the users give up after 30 ms.
    const loop = async (k: number) => {
      for (let i = 0; !stop && i < 100; i++) {
        const ac = new AbortController();
        const t = (i + k) % 3 === 0 ? setTimeout(() => ac.abort(), 30) : undefined;
        try {
          await (await request(`${s.url}/item`, { signal: ac.signal })).body.dump();
        } catch {
          // aborted by the user, or the shadow stopped
        }
        clearTimeout(t);
      }
    };
    await Promise.all([0, 1, 2, 3].map(loop));
    const { code, out } = await s.done;
    const w = JSON.parse(readFileSync(path.join(s.dir, 'windows', '1', 'run.json'), 'utf8'));
    expect(w.samples.pairs, out).toBeGreaterThanOrEqual(20);
    // The users' aborts are counted, not compared.
    expect(w.shadow.clientClosed).toBeGreaterThan(0);
    expect(w.summaries[0].baseline.count).toBe(w.samples.pairs);
    expect(w.verdict.status, out).toBe('fail');
    expect(code).toBe(1);
  }, 20_000);
});
