import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { useRawServers } from '../helpers/raw-server.ts';
import { writeReplayConfig } from '../helpers/replay.ts';

/**
 * HAR 1.2 keeps a request body as `postData.text`, but exporters also write `encoding: "base64"`
 * (binary bodies), only `params` (form fields), HTTP Toolkit's `_content` / `_requestBodyStatus`,
 * or nothing at all when they dropped the body. Before, the base64 text went out as the body, a
 * params-only form went out empty, and a dropped body went out empty: none of it what was captured.
 * Now the targets get the captured bytes, or the entry is a bad entry with the reason and is never sent.
 */
describe('parity replay of HAR request bodies that are not plain postData.text', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parity-har-bodies-'));
  const servers = useRawServers();

  const binary = Buffer.from([0x00, 0xff, 0x80, 0xc3, 0x28, 0x0a, 0x7f, 0xfe]);
  const json = Buffer.from('{"name":"café 🐵"}', 'utf8');
  const gz = gzipSync(Buffer.from('{"zipped":true}'));
  type Case = { path: string; headers?: Record<string, string>; request: Record<string, unknown>; sent?: Buffer; bad?: RegExp };
  const cases: Case[] = [
    { path: '/bin', headers: { 'content-type': 'application/octet-stream', 'content-length': String(binary.length) }, request: { postData: { mimeType: 'application/octet-stream', text: binary.toString('base64'), encoding: 'base64' } }, sent: binary },
    { path: '/json64', headers: { 'content-type': 'application/json' }, request: { postData: { mimeType: 'application/json', text: json.toString('base64'), encoding: 'base64' } }, sent: json },
    { path: '/gz', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, request: { postData: { mimeType: 'application/json', text: gz.toString('base64'), encoding: 'base64' } }, sent: gz },
    { path: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '13' }, request: { postData: { mimeType: 'application/x-www-form-urlencoded', params: [{ name: 'a', value: '1' }, { name: 'b_c', value: 'two.3' }] } }, sent: Buffer.from('a=1&b_c=two.3') },
    { path: '/toolkit', headers: { 'content-type': 'application/octet-stream' }, request: { _requestBodyStatus: 'discarded:not-representable', _content: { text: binary.toString('base64'), encoding: 'base64', size: binary.length } }, sent: binary },
    { path: '/form-space', headers: { 'content-type': 'application/x-www-form-urlencoded' }, request: { postData: { mimeType: 'application/x-www-form-urlencoded', params: [{ name: 'q', value: 'two words' }] } }, bad: /params .*more than one urlencoded form/ },
    { path: '/multipart', headers: { 'content-type': 'multipart/form-data; boundary=x' }, request: { postData: { mimeType: 'multipart/form-data; boundary=x', params: [{ name: 'f', fileName: 'a.png', contentType: 'image/png' }] } }, bad: /multipart form .*cannot be rebuilt/ },
    { path: '/dropped', headers: { 'content-type': 'application/json', 'content-length': '42' }, request: {}, sent: undefined, bad: /0 body bytes where the request's content-length says 42/ },
    { path: '/size-only', headers: { 'content-type': 'application/json' }, request: { bodySize: 10 }, bad: /no body for this request, whose bodySize is 10/ },
    { path: '/mangled', headers: { 'content-type': 'application/octet-stream', 'content-length': String(binary.length) }, request: { postData: { mimeType: 'application/octet-stream', text: binary.toString('utf8') } }, bad: /content-length says 8: .*changed/ },
    { path: '/too-large', headers: { 'content-type': 'application/json' }, request: { _requestBodyStatus: 'discarded:too-large' }, bad: /did not keep this request's body .*too-large/ },
    { path: '/hex', headers: { 'content-type': 'application/json' }, request: { postData: { mimeType: 'application/json', text: '7b7d', encoding: 'hex' } }, bad: /encoding "hex" is not understood/ },
    { path: '/not-b64', headers: { 'content-type': 'application/json' }, request: { postData: { mimeType: 'application/json', text: 'not base64!', encoding: 'base64' } }, bad: /not valid base64/ },
  ];

  it('sends the captured bytes (base64 decoded, a form rebuilt from plain params, HTTP Toolkit _content), and counts every body it cannot rebuild as a bad entry, never sent', async () => {
    const t0 = Date.parse('2026-11-30T10:00:00Z');
    const entries = cases.map((c, i) => ({
      startedDateTime: new Date(t0 + i).toISOString(),
      request: { method: 'POST', url: `http://example.test${c.path}`, httpVersion: 'HTTP/1.1', headers: Object.entries(c.headers ?? {}).map(([name, value]) => ({ name, value })), queryString: [], cookies: [], headersSize: -1, bodySize: -1, ...c.request },
      response: { status: 200, headers: [], content: { size: 0, mimeType: 'application/json' } },
    }));
    const file = path.join(dir, 'bodies.har');
    writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } }, null, 2));
    const config = writeReplayConfig(dir, 'har-bodies', servers[0]!.url, servers[1]!.url);
    const r = await runCli(['replay', file, '--config', config, '--quiet', '--speed', 'max', '--allow-writes', '--max-corrupt', '100%'], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    const good = cases.filter((c) => !c.bad);
    const bad = cases.filter((c) => c.bad);
    expect(run.replay).toMatchObject({ read: cases.length, scheduled: good.length, bad: bad.length, unsendable: bad.length });
    for (const c of bad) {
      const i = cases.indexOf(c);
      expect(run.replay!.badEntries.find((b) => b.at === `entry ${i + 1}`)?.reason, c.path).toMatch(c.bad!);
    }
    for (const s of servers) {
      expect(s.seen.map((q) => q.target.toString()).sort()).toEqual(good.map((c) => c.path).sort());
      for (const c of good) {
        const q = s.seen.find((x) => x.target.toString() === c.path)!;
        expect(q.body.equals(c.sent!), `${c.path}: ${q.body.toString('hex')}`).toBe(true);
      }
    }
  }, 60_000);
});
