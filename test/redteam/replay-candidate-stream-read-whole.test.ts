import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { parityLines } from '../helpers/replay.ts';

/**
 * A replayed request read whole (it did not accept text/event-stream, no --stream path) holds a
 * pass back when the answer was an SSE stream: read whole, a stream ending in an error event is
 * `ok` (replay-streams-read-whole.test.ts). The replay looked at the baseline's answer only. A
 * baseline answering the chat request with a JSON body and a candidate answering it with an SSE
 * stream that ends in an error event every time (no content, no terminal event): every candidate
 * answer read `ok`, 0% errors, and the replay PASSED and fired onPass. `parity run` counts either
 * side's SSE answers read whole (run/read-whole.ts); a replay now does too.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'parity-replay-cand-sse-'));
const servers: Server[] = [];
let config = '';

beforeAll(async () => {
  for (let k = 0; k < 2; k++) {
    const candidate = k === 1;
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!candidate) res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":"hello there"}');
        else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: error\ndata: {"error":"model overloaded"}\n\n');
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
  }
  const url = (k: number) => `http://127.0.0.1:${(servers[k]!.address() as AddressInfo).port}`;
  config = path.join(dir, 'replay.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      targets: [
        { name: 'base', role: 'baseline', baseUrl: url(0), routes: {} },
        { name: 'cand', role: 'candidate', baseUrl: url(1), routes: {} },
      ],
      preflight: { retries: 0, interval: 10 },
      outDir: path.join(dir, 'reports'),
    }),
  );
});
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

describe('parity replay: the candidate alone answers SSE streams to requests read whole', () => {
  it('counted, a harness warning naming the --stream path: no pass, no promote hook', async () => {
    const file = path.join(dir, 'capture.ndjson');
    const T = Date.now();
    writeFileSync(file, parityLines(Array.from({ length: 500 }, (_, i) => ({ t: T + i, method: 'GET', path: `/api/answer?q=${i}`, headers: { accept: '*/*' } }))));
    const marker = path.join(dir, 'promoted');
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'name: answers',
        'minSamples: 100',
        'gates:',
        '  - { metric: error_rate, threshold: "<= +1pp" }',
        '  - { metric: latency.p95, threshold: "<= 1.5x baseline or <= baseline + 50ms" }',
        'hooks:',
        '  onPass:',
        `    exec: [${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], 'x')", ${JSON.stringify(marker)}]`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['replay', file, '--config', config, '--policy', policy, '--quiet', '--speed', 'max', '--max-in-flight', '8'], {});
    const run = JSON.parse(readFileSync(/run\.json: (.+)/.exec(r.stdout)![1]!.trim(), 'utf8')) as RunResult;
    // Read whole, every broken stream is an answer.
    expect(run.summaries[0]!.candidate.outcomes).toMatchObject({ ok: 500 });
    expect(run.replay!.streamsReadWhole).toBe(500);
    expect(run.replay!.readWholePaths).toEqual(['/api/answer']);
    expect(run.harness!.warnings.join('\n')).toMatch(/500 replayed responses were SSE streams read as whole responses \(\/api\/answer\).*--stream '\/api\/answer'/);
    expect(run.verdict!.status).not.toBe('pass');
    expect(r.code, r.stdout).toBe(2);
    expect(() => readFileSync(marker)).toThrow();
  }, 30_000);
});
