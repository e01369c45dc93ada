import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';
import { parityLines } from '../helpers/replay.ts';

/**
 * `parity replay` reads a request with the stream probe only when it accepts text/event-stream or
 * its path matches `--stream`. A browser's fetch()-based chat client accepts any type (no SSE), so a
 * capture of it was replayed through the request probe: a 200 whose body ended was `ok`. A
 * candidate breaking 70 of 100 chat streams (error events, empty answers, no terminal event)
 * read 0% errors, and faster than its baseline: the replay passed. Shadow counts such answers and
 * cannot pass (test/shadow/auto-kind.test.ts); a replay now does the same.
 */
describe('replay: SSE answers to requests read as whole responses', () => {
  let fx: FixtureProcess;
  const ws = tempWorkspace();
  const capture = path.join(ws.dir, 'chat.ndjson');
  const policy = path.join(ws.dir, 'policy.yaml');
  beforeAll(async () => {
    fx = await startFixtureProcess([
      { framing: 'openai', tokens: 6, interEventGapMs: 1 },
      { framing: 'openai', tokens: 6, interEventGapMs: 1, faults: { errorEvent: 0.3, empty: 0.2, noTerminal: 0.2 } },
    ]);
    const t = Date.parse('2026-11-30T10:00:00Z');
    const body = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `question ${i}` }] });
    writeFileSync(capture, parityLines(Array.from({ length: 100 }, (_, i) => ({ t: t + i * 10, method: 'POST', path: '/chat-stream', headers: { accept: '*/*', 'content-type': 'application/json' }, body: body(i) }))));
    writeFileSync(policy, ['name: replay-chat', 'minSamples: 50', 'gates:', '  - { metric: error_rate, threshold: "<= +5pp" }', '  - { metric: latency.p95, threshold: "<= 2x baseline or <= baseline + 50ms" }', ''].join('\n'));
  });
  afterAll(async () => {
    await fx?.close();
  });

  const replay = async (name: string, extra: string[]) => {
    const config = path.join(ws.dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        name,
        targets: [
          { name: 'old', role: 'baseline', baseUrl: fx.fixtures[0]!.url, routes: {}, stream: 'openai' },
          { name: 'new', role: 'candidate', baseUrl: fx.fixtures[1]!.url, routes: {}, stream: 'openai' },
        ],
        preflight: { retries: 0, interval: 10 },
      }),
    );
    // As fast as maxInFlight allows: no pacing to keep, so this machine's load cannot hold the verdict back.
    const r = await runCli(['replay', capture, '--config', config, '--allow-writes', '--speed', 'max', '--max-in-flight', '8', '--policy', policy, '--out', ws.out, '--run-id', name, '--quiet', ...extra]);
    expect(r.code, r.stderr).not.toBe(3);
    return { code: r.code, run: RunResult.parse(JSON.parse(readFileSync(path.join(ws.out, name, 'run.json'), 'utf8'))) };
  };

  it('counts the SSE answers the request probe read whole, and the verdict cannot pass', async () => {
    const { code, run } = await replay('read-whole', []);
    expect(run.summaries[0]!.candidate.outcomes).toMatchObject({ ok: 100 });
    expect(run.replay!.streamsReadWhole).toBe(100);
    expect(run.harness!.warnings.join('\n')).toMatch(/100 replayed responses were SSE streams read as whole responses \(\/chat-stream\).*--stream '\/chat-stream'/);
    expect(run.verdict!.status).not.toBe('pass');
    expect(code).not.toBe(0);
  }, 60_000);

  it("with --stream, the same candidate's broken streams fail it", async () => {
    const { code, run } = await replay('as-streams', ['--stream', '/chat*']);
    expect(run.replay!.streamsReadWhole ?? 0).toBe(0);
    expect(run.summaries[0]!.candidate.outcomes).toMatchObject({ complete: 30, error_event: 30, empty: 20, no_terminal: 20 });
    expect(run.verdict!.status).toBe('fail');
    expect(code).toBe(1);
  }, 60_000);
});
