import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * A body logged as a JSON value rather than a string (an Envoy Lua filter or a structured logger
 * that embeds a JSON body; a hand-made parity capture) was parsed with the line and sent as
 * JSON.stringify of the value: other bytes than logged, and another request. An order id beyond
 * 2^53 went out rounded (12345678901234567890 as 12345678901234567000), `1.0` as `1`, `"10"` moved
 * before the other keys, `\u00e9` as `é`, spacing dropped; a content_length logged beside it then
 * disagreed. Now the body is the value's text as the line holds it.
 */
describe('parity replay of a body logged as a JSON value', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-json-body-'));
  const servers = useRawServers();
  const t0 = Date.parse('2026-11-30T10:00:00Z');
  const BODY = '{"order_id": 12345678901234567890, "price": 1.0, "qty": 1e3, "name": "caf\\u00e9", "b": true, "10": "x"}';

  async function replay(name: string, file: string): Promise<{ run: RunResult; bodies: string[][] }> {
    const config = writeReplayConfig(dir, name, servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    return { run, bodies: servers.map((s) => s.seen.splice(0).map((q) => q.body.toString('utf8'))) };
  }

  it('an access log line: the body goes out byte for byte as logged (and agrees with its content_length)', async () => {
    const file = path.join(dir, 'json-body.log');
    const len = Buffer.byteLength(BODY);
    writeFileSync(file, `{"msec":"${(t0 / 1000).toFixed(3)}","request_method":"POST","request_uri":"/orders","content_type":"application/json","content_length":"${len}","request_body":${BODY}}\n`);
    const { run, bodies } = await replay('log', file);
    expect(run.replay).toMatchObject({ read: 1, scheduled: 1, bad: 0 });
    for (const side of bodies) expect(side).toEqual([BODY]);
  }, 60_000);

  it("parity's capture format: the same", async () => {
    const file = path.join(dir, 'json-body.ndjson');
    writeFileSync(file, `{"t":${t0},"requestId":"r-0","route":"orders","method":"POST","path":"/orders","headers":{"content-type":"application/json"},"body":${BODY}}\n`);
    const { run, bodies } = await replay('parity', file);
    expect(run.replay).toMatchObject({ read: 1, scheduled: 1, bad: 0 });
    for (const side of bodies) expect(side).toEqual([BODY]);
  }, 60_000);
});
