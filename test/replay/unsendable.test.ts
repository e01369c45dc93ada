import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { startCountingServer } from '../helpers/counting-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'parity-unsendable-'));
const readRun = (stdout: string): RunResult => JSON.parse(readFileSync(/run\.json: (.+)/.exec(stdout)![1]!.trim(), 'utf8')) as RunResult;
const T = Date.parse('2026-11-29T14:00:00.000Z');

/** A parity capture line (the shape `parity shadow --capture` writes). */
const line = (i: number, method: string, p: string, headers: Record<string, string> = {}, body?: string) => JSON.stringify({ t: T + i * 5, requestId: `r-${i}`, method, path: p, headers: { accept: 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) });

/**
 * Good entries, and one of each kind undici refuses at send (which, dispatched, failed on both
 * sides as connect errors): each must be a bad entry with its line and reason, never traffic.
 */
const CAPTURE: { text: string; bad?: RegExp }[] = [
  { text: line(0, 'GET', '/api/items/0') },
  { text: line(1, 'GE(T', '/api/items/1'), bad: /method "GE\(T" is not an HTTP method/ },
  { text: line(2, 'GET', '/api/items/2 copy'), bad: /cannot be sent as written: path "\/api\/items\/2 copy" contains a space/ },
  { text: line(3, 'GET', '/api/items/3\r\nx-injected: 1'), bad: /cannot be sent as written: path .* contains a line break/ },
  { text: line(4, 'GET', '/api/items/4?q=\u20ac'), bad: /cannot be sent as captured: the path holds non-ASCII characters, which parity's capture never records/ },
  { text: line(5, 'GET', '/api/items/5') },
  { text: line(6, 'GET', '/api/items/6', { 'x bad name': '1' }), bad: /cannot be sent as written: header name "x bad name" is not an HTTP token/ },
  { text: line(7, 'GET', '/api/items/7', { 'x-note': 'a\r\nx-injected: 1' }), bad: /cannot be sent as written: header x-note: header value contains a CR or LF/ },
  { text: line(8, 'GET', '/api/items/8', { 'x-note': 'a\u0000b' }), bad: /cannot be sent as written: header x-note: header value contains the control character U\+0000/ },
  { text: line(9, 'GET', '/api/items/9', { 'x-name': 'caf\u00e9 \u20ac' }), bad: /cannot be sent as written: header x-name: header value contains a character beyond Latin-1 \(U\+20AC\)/ },
  // Compressed bytes held as text (a capture's body is text): what would be sent is not what was captured.
  { text: line(10, 'POST', '/api/items', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"x":1}'), bad: /cannot be sent as written: the body does not decode as its content-encoding "gzip"/ },
  { text: line(11, 'CONNECT', '/api/items/11'), bad: /cannot be sent as written: method CONNECT/ },
  // Sendable: Expect is the client's own handshake (undici refuses it set by hand), so it is left out like hop-by-hop headers.
  { text: line(12, 'GET', '/api/items/12', { expect: '100-continue' }) },
  // A Latin-1 header value (obs-text) is sendable.
  { text: line(13, 'GET', '/api/items/13', { 'x-name': 'caf\u00e9' }) },
  { text: line(14, 'POST', '/api/items', { 'content-type': 'application/json', 'content-encoding': 'identity' }, '{"x":2}') },
  { text: line(15, 'GET', '/api/items/15') },
];
const GOOD = CAPTURE.filter((c) => !c.bad).length;
const BAD = CAPTURE.length - GOOD;

describe('parity replay: entries that cannot be sent as written are bad entries, never traffic', () => {
  let servers: Awaited<ReturnType<typeof startCountingServer>>[];
  let config: string;
  const file = path.join(dir, 'unsendable.ndjson');

  beforeAll(async () => {
    servers = await Promise.all([startCountingServer(), startCountingServer()]);
    config = writeReplayConfig(dir, 'unsendable', servers[0]!.url, servers[1]!.url);
    writeFileSync(file, CAPTURE.map((c) => c.text).join('\n') + '\n');
  });
  afterAll(async () => Promise.all(servers.map((s) => s.close())));

  it('the targets see only the good entries; each bad one is listed with its line and reason, under --max-corrupt; no error on either side', async () => {
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes', '--max-corrupt', '100%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // Counted at the servers: only the sendable entries went out.
    expect(servers.map((s) => s.count())).toEqual([GOOD, GOOD]);
    const run = readRun(r.stdout);
    expect(run).toMatchObject({ complete: true, samples: { pairs: GOOD }, replay: { read: CAPTURE.length, scheduled: GOOD, bad: BAD, unsendable: BAD - 1 } });
    const expected = CAPTURE.flatMap((c, i) => (c.bad ? [{ at: `line ${i + 1}`, reason: expect.stringMatching(c.bad) }] : []));
    expect(run.replay!.badEntries).toEqual(expected);
    // Not a backend failure: no connect errors, no errors at all.
    for (const s of run.summaries) {
      expect(s.baseline.errorRate, JSON.stringify(s.baseline.outcomes)).toBe(0);
      expect(s.candidate.errorRate, JSON.stringify(s.candidate.outcomes)).toBe(0);
    }
    expect(r.stdout).toMatch(/bad line 7: cannot be sent as written: header name "x bad name"/);
    // The report's Replay section lists them (as input, not as request samples).
    const md = readFileSync(path.join(path.dirname(/run\.json: (.+)/.exec(r.stdout)![1]!.trim()), 'summary.md'), 'utf8');
    expect(md).toMatch(new RegExp(`${BAD} corrupt or truncated \\(${BAD - 1} of them cannot be sent as written\\)`));
    expect(md).toMatch(/- line 8: cannot be sent as written: header x-note: header value contains a CR or LF/);
    // A header value is never echoed (it may be a secret).
    expect(JSON.stringify(run.replay)).not.toContain('x-injected: 1"');
  }, 60_000);

  it('under the default --max-corrupt (1%) the same capture is an incomplete run (exit 2), never a pass', async () => {
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes'], {});
    expect(r.code, r.stderr + r.stdout).toBe(2);
    const run = readRun(r.stdout);
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toMatch(new RegExp(`^${BAD} of ${CAPTURE.length} capture entries .* over --max-corrupt 1%`));
  }, 60_000);

  it('what is checked is the request as it goes out: a header the config\'s shadow section drops (cookie, by default) is never sent, so it cannot make an entry unsendable', async () => {
    const shadowConfig = path.join(dir, 'with-shadow.config.json');
    writeFileSync(shadowConfig, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), shadow: {} }));
    const only = path.join(dir, 'cookie.ndjson');
    writeFileSync(only, [line(0, 'GET', '/api/items/0', { cookie: 'sid=a\u20ac' }), line(1, 'GET', '/api/items/1', { 'x-note': 'a\nb' })].join('\n') + '\n');
    const before = servers.map((s) => s.count());
    const r = await runCli(['replay', only, '--config', shadowConfig, '--quiet', '--speed', 'max', '--max-corrupt', '50%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(servers.map((s, i) => s.count() - before[i]!)).toEqual([1, 1]);
    expect(readRun(r.stdout).replay).toMatchObject({ bad: 1, unsendable: 1, badEntries: [{ at: 'line 2' }] });
    // Without the shadow section the cookie goes out, so that entry cannot be sent either: none left, exit 3 before any traffic.
    const first = path.join(dir, 'cookie-only.ndjson');
    writeFileSync(first, line(0, 'GET', '/api/items/0', { cookie: 'sid=a\u20ac' }) + '\n');
    const plain = await runCli(['replay', first, '--config', config, '--quiet'], {});
    expect(plain.code, plain.stderr + plain.stdout).toBe(3);
    const kept = await runCli(['replay', first, '--config', shadowConfig, '--quiet'], {});
    expect(kept.code, kept.stderr + kept.stdout).toBe(0);
  }, 60_000);

  it('a HAR whose URLs cannot be resolved to a path, or whose only requests cannot be sent, is exit 3 before any traffic', async () => {
    const har = path.join(dir, 'unsendable.har');
    const entry = (url: string, headers: { name: string; value: string }[]) => ({ startedDateTime: new Date(T).toISOString(), request: { method: 'GET', url, headers } });
    // A host with a space (no URL), a relative URL, and a header value with a line break.
    const entries = [entry('http://exa mple.test/api/x', []), entry('api/x', []), entry('http://example.test/api/x', [{ name: 'x-note', value: 'a\nb' }])];
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', entries } }, null, 2));
    const before = servers.map((s) => s.count());
    const r = await runCli(['replay', har, '--config', config, '--quiet'], {});
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stderr).toMatch(/no request left to replay after filters \(3 entries read: 3 corrupt, truncated or unsendable/);
    expect(servers.map((s) => s.count())).toEqual(before);
  }, 60_000);
});
