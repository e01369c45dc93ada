import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import { ConfigError } from '../../harness/errors.ts';
import { rawPlan } from '../../harness/raw/requests.ts';
import { runParity } from '../../harness/run/engine.ts';
import { tempWorkspace } from '../helpers/config.ts';

/**
 * Placeholders in route paths. A stream scenario's route (`POST /conversations/{{session_id}}/messages`,
 * a common chat API's shape) went out with its placeholder as text, `/conversations/{{session_id}}/messages`
 * in every request to both targets, though the same scenario's body and headers fill
 * `{{session_id}}`; now the route fills `{{session_id}}`, `{{iteration}}` and `{{request_id}}`
 * (percent-encoded) and refuses any other name before traffic. And a route written with spaces
 * inside a placeholder (`GET /items/{{ id }}`, as templates everywhere else read it) was refused
 * as "expected METHOD /path".
 */
const urls: string[][] = [[], []];
const servers: http.Server[] = [];
const bases: string[] = [];

function server(i: number): Promise<string> {
  const s = http.createServer((req, res) => {
    if (req.method !== 'HEAD' && req.url !== '/health') urls[i]!.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (req.url!.startsWith('/conversations/')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: token\ndata: {"text":"a"}\n\nevent: done\ndata: {}\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

function config(routes: Record<string, string>, scenarios: ConfigInput['scenarios']): ConfigInput {
  return {
    targets: [
      { name: 'old', role: 'baseline', baseUrl: bases[0]!, routes, stream: 'named-events' },
      { name: 'new', role: 'candidate', baseUrl: bases[1]!, routes, stream: 'named-events' },
    ],
    scenarios,
    load: { vus: 1, iterations: 3 },
    preflight: { retries: 0, interval: 10 },
  };
}

async function issuesOf(cfg: ConfigInput): Promise<{ path: string; message: string }[]> {
  const ws = tempWorkspace();
  try {
    await resolveConfig(cfg, ws.configFile);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('placeholders in route paths', () => {
  beforeAll(async () => {
    bases.push(await server(0), await server(1));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  });

  it('a stream route fills {{session_id}}, {{iteration}} and {{request_id}}, percent-encoded, the same on both targets', async () => {
    for (const u of urls) u.length = 0;
    const ws = tempWorkspace([{ text: 'q', expectsCitations: false }]);
    const cfg = config({ chat: 'POST /conversations/{{ session_id }}/messages?n={{iteration}}&id={{request_id}}' }, [{ name: 's', route: 'chat', prompts: ws.promptsFile, sessionId: 'chat {{iteration}}' }]);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-route-ph-'));
    const out = await runParity(await resolveConfig(cfg, ws.configFile), { outDir: dir, runId: 'rp' });
    expect(urls[0]).toEqual([0, 1, 2].map((i) => `/conversations/chat%20${i}/messages?n=${i}&id=rp-${i}`));
    expect(urls[1]).toEqual(urls[0]);
    expect(out.result.summaries[0]!.candidate.outcomes.complete).toBe(3);

    // `parity raw` sends the same rendered paths.
    const [raw] = rawPlan(await resolveConfig(cfg, ws.configFile), 'r');
    expect(raw.requests[0]!.path).toBe('/conversations/chat%200/messages?n=0&id=r-raw-0');
  }, 30_000);

  it('a stream route with a placeholder parity does not fill is refused before traffic, naming the route and the fix', async () => {
    const ws = tempWorkspace();
    const issues = await issuesOf(config({ chat: 'POST /conversations/{{conversation_id}}/messages' }, [{ name: 's', route: 'chat', prompts: ws.promptsFile }]));
    expect(issues.map((i) => i.path)).toEqual(['targets[0].routes.chat', 'targets[1].routes.chat']);
    expect(issues[0]!.message).toMatch(/placeholder \{\{conversation_id\}\} is not one parity fills in a stream scenario's route path .*\{\{session_id\}\}, \{\{iteration\}\}, \{\{request_id\}\}/);
    // A literal route, once; a session id made from the prompt's text is no path segment.
    const literal = await issuesOf(config({}, [{ name: 's', route: 'POST /c/{{session_id}}/{{promt}}', prompts: ws.promptsFile, sessionId: 's-{{prompt}}' }]));
    expect(literal.map((i) => [i.path, i.message.slice(0, 60)])).toEqual([
      ['scenarios[0].route', expect.stringContaining('{{session_id}} is made from {{prompt}}')],
      ['scenarios[0].route', expect.stringContaining('placeholder {{promt}} is not one')],
    ]);
  });

  it('a route-map path or a literal route with spaces inside a placeholder ({{ id }}) is read as {{id}}', async () => {
    for (const u of urls) u.length = 0;
    const ws = tempWorkspace();
    const cfg = config({ item: 'GET /items/{{ id }}' }, [
      { type: 'flow', name: 'f', vars: { id: 'a b' }, steps: [{ name: 'mapped', route: 'item' }, { name: 'literal', route: 'GET /things/{{ id }}/{{iteration}}' }] },
    ]);
    expect(await issuesOf(cfg)).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-route-ph-'));
    await runParity(await resolveConfig(cfg, ws.configFile), { outDir: dir, runId: 'sp' });
    expect(urls[0]).toEqual([0, 1, 2].flatMap((i) => ['/items/a%20b', `/things/a%20b/${i}`]));
    expect(urls[1]).toEqual(urls[0]);
    // Outside a placeholder a space is still unsendable.
    const bad = await issuesOf(config({ item: 'GET /items/{{ id }}/a b' }, [{ type: 'request', name: 'r', route: 'item' }]));
    expect(bad.map((i) => i.path)).toEqual(['targets[0].routes.item', 'targets[1].routes.item']);
  });
});
