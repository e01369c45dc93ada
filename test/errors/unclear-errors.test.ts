import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { ConfigError } from '../../harness/errors.ts';
import { loadPolicy } from '../../harness/gates/load.ts';
import { runExec } from '../../harness/hooks/exec.ts';
import { postWebhook } from '../../harness/hooks/webhook.ts';
import { probeStream, type StreamRequest } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';

const SSE = 'event: token\ndata: {"text":"hi"}\n\nevent: done\ndata: {}\n\n';
const STACK = /\n\s+at .*\(.*:\d+:\d+\)/;

describe('unclear errors get a code, a cause and a fix', () => {
  let server: http.Server;
  let base = '';
  const acceptEncodings: (string | undefined)[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        acceptEncodings.push(req.headers['accept-encoding']);
        if (req.url === '/gzip' || req.url === '/deflate') {
          const enc = req.url.slice(1);
          res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': enc });
          res.end(enc === 'gzip' ? gzipSync(SSE) : deflateSync(SSE));
          return;
        }
        if (req.url === '/stall') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.flushHeaders();
          res.write('{"partial":');
          return; // then silence
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(SSE);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  for (const enc of ['gzip', 'deflate']) {
    it(`a ${enc}-compressed stream is classified malformed with a message naming the encoding (parity sends no Accept-Encoding)`, async () => {
      const pool = new Pool(base);
      const req: StreamRequest = { target: 't', role: 'candidate', scenario: 's', requestId: 'r', iteration: 0, vu: 1, promptIndex: 0, expectsCitations: false, method: 'POST', path: `/${enc}`, headers: {}, body: '{}' };
      const s = await probeStream(pool, compileProfile(StreamProfile.parse(STREAM_PRESETS['named-events'])), req, Timeouts.parse({ firstEvent: '2s', idle: '2s', total: '5s' }));
      await pool.destroy();
      expect(s.outcome).toBe('malformed');
      expect(s.error).toEqual({ code: 'PARITY_CONTENT_ENCODING', message: expect.stringContaining(`content-encoding: ${enc}`) });
      expect(acceptEncodings.at(-1)).toBeUndefined();
    });
  }

  const config = () => {
    const ws = tempWorkspace([{ text: 'q' }]);
    // One server, two routes: two backends to the verdict (one URL and route for both would be a backend compared with itself, never a pass).
    writeFileSync(ws.configFile, JSON.stringify(streamConfig({ baselineUrl: base, candidateUrl: base, candidatePath: '/chat-stream-candidate', promptsFile: ws.promptsFile, load: { vus: 2, iterations: 4 } })));
    return ws;
  };

  it('--out on a file: PARITY_OUTPUT_FAILED, exit 3, no stack trace, nothing sent', async () => {
    const ws = config();
    const file = path.join(ws.dir, 'a-file');
    writeFileSync(file, 'x');
    const before = acceptEncodings.length;
    const r = await runCli(['run', ws.configFile, '--out', file, '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/PARITY_OUTPUT_FAILED\ncannot write the run folder .*a-file.* \((ENOTDIR|EEXIST): .*\); give --out/);
    expect(r.stderr).not.toMatch(STACK);
    expect(acceptEncodings.length).toBe(before);
  });

  it('an unwritable --summary-to after the verdict and hooks: the error is printed, the verdict exit code stands', async () => {
    const ws = config();
    const marker = path.join(ws.dir, 'fired');
    const policy = path.join(ws.dir, 'p.yaml');
    writeFileSync(policy, `minSamples: 1\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]\n`);
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet', '--policy', policy, '--summary-to', ws.dir]);
    expect(existsSync(marker)).toBe(true);
    expect(r.stderr).toMatch(/PARITY_OUTPUT_FAILED\ncannot write the summary to .* \(EISDIR/);
    expect(r.stderr).not.toMatch(STACK);
    // pass (0), or inconclusive (2) when the busy test machine trips the harness-health check: never 3.
    expect([0, 2]).toContain(r.code);
    expect(r.stdout).toMatch(/verdict: (PASS|INCONCLUSIVE)/);
  });

  it('--run-id a/b is refused (exit 3) before anything is written', async () => {
    const ws = config();
    for (const id of ['a/b', '../x', '..', 'a\\b', '']) {
      const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet', '--run-id', id]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/PARITY_USAGE\n--run-id .* is not a folder name/);
    }
    expect(existsSync(ws.out)).toBe(false);
  });

  it('a 50 MB bad value is not echoed whole; NaN is shown as NaN', async () => {
    const ws = tempWorkspace();
    const cfg = streamConfig({ baselineUrl: base, candidateUrl: base, promptsFile: ws.promptsFile }) as unknown as { load: Record<string, unknown> };
    cfg.load.vus = 'x'.repeat(50_000_000);
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const r = await runCli(['run', ws.configFile, '--out', ws.out, '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/expected number, got string "x{80}"… \(50000000 characters\)/);
    expect(r.stderr.length).toBeLessThan(5_000);
    const nan = streamConfig({ baselineUrl: base, candidateUrl: base, promptsFile: ws.promptsFile }) as unknown as { load: Record<string, unknown> };
    nan.load.vus = NaN;
    const err = (await resolveConfig(nan, 'nan.ts', {}).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/NaN/);
    expect(err.message).not.toMatch(/got number null/);
  });

  it('a missing extends preset names the policy file and the field', async () => {
    const ws = tempWorkspace();
    const p = path.join(ws.dir, 'child.yaml');
    writeFileSync(p, 'extends: seed-000-stage-z\ngates:\n  - { metric: error_rate, threshold: "<= 1%" }\n');
    const err = (await loadPolicy(p, {}).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('PARITY_CONFIG_INVALID');
    expect(err.message).toContain('child.yaml');
    expect(err.issues).toEqual([{ path: 'extends', message: expect.stringMatching(/no policy file or preset named "seed-000-stage-z".*seed-000-stage-b/) }]);
  });

  it('a webhook that sends headers then stalls is failed (timed out), retried, never "ok"', async () => {
    const o = await postWebhook({ kind: 'webhook', url: `${base}/stall`, headers: {}, timeoutMs: 400, retries: 1, backoffMs: 10, display: 'stall' }, '{}');
    expect(o.httpStatus).toBe(200);
    expect(o.delivered).toBe(false);
    expect(o.timedOut).toBe(true);
    expect(o.attempts).toBe(2);
    expect(o.error).toMatch(/HTTP 200 headers, then the body did not complete within the 400 ms timeout after 2 attempts/);
  });

  it('an exec hook that exits 0 while a background child holds its stdout is ok, by its exit status', async () => {
    const dir = tempWorkspace().dir;
    mkdirSync(dir, { recursive: true });
    const pidFile = path.join(dir, 'bg.pid');
    const code = `const {spawn}=require('child_process');const c=spawn(process.execPath,['-e','setTimeout(()=>{},20000)'],{stdio:['ignore','inherit','inherit']});require('fs').writeFileSync(${JSON.stringify(pidFile)},String(c.pid));console.log('started');process.exit(0)`;
    const t0 = Date.now();
    const o = await runExec({ kind: 'exec', argv: [process.execPath, '-e', code], shell: false, cwd: dir, env: {}, timeoutMs: 15_000, display: 'node' }, {}, '');
    try {
      expect(o.exitCode).toBe(0);
      expect(o.timedOut).toBe(false);
      expect(o.error).toBeUndefined();
      expect(o.stdout).toContain('started');
      expect(Date.now() - t0).toBeLessThan(12_000);
    } finally {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
});
