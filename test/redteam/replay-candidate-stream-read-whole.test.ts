import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityLines } from '../helpers/replay.ts';
import { replayRig, type ReplayRig } from '../helpers/replay-rig.ts';

/**
 * A replayed request read whole (it did not accept text/event-stream, no --stream path) holds a
 * pass back when the answer was an SSE stream: read whole, a stream ending in an error event is
 * `ok` (replay-streams-read-whole.test.ts). The replay looked at the baseline's answer only. A
 * baseline answering the chat request with a JSON body and a candidate answering it with an SSE
 * stream that ends in an error event every time (no content, no terminal event): every candidate
 * answer read `ok`, 0% errors, and the replay PASSED and fired onPass. `parity run` counts either
 * side's SSE answers read whole (run/read-whole.ts); a replay now does too.
 */
let rig: ReplayRig;
beforeAll(async () => {
  rig = await replayRig('parity-replay-cand-sse-', (candidate, _req, res) => {
    if (!candidate) res.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":"hello there"}');
    else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: error\ndata: {"error":"model overloaded"}\n\n');
  });
});
afterAll(() => rig.close());

describe('parity replay: the candidate alone answers SSE streams to requests read whole', () => {
  it('counted, a harness warning naming the --stream path: no pass, no promote hook', async () => {
    const T = Date.now();
    const capture = parityLines(Array.from({ length: 500 }, (_, i) => ({ t: T + i, method: 'GET', path: `/api/answer?q=${i}`, headers: { accept: '*/*' } })));
    const policy = ['name: answers', 'minSamples: 100', 'gates:', '  - { metric: error_rate, threshold: "<= +1pp" }', '  - { metric: latency.p95, threshold: "<= 1.5x baseline or <= baseline + 50ms" }'];
    const { r, run, promoted } = await rig.replay('capture', capture, policy, ['--max-in-flight', '8']);
    // Read whole, every broken stream is an answer.
    expect(run.summaries[0]!.candidate.outcomes).toMatchObject({ ok: 500 });
    expect(run.replay!.streamsReadWhole).toBe(500);
    expect(run.replay!.readWholePaths).toEqual(['/api/answer']);
    expect(run.harness!.warnings.join('\n')).toMatch(/500 replayed responses were SSE streams read as whole responses \(\/api\/answer\).*--stream '\/api\/answer'/);
    expect(run.verdict!.status).not.toBe('pass');
    expect(r.code, r.stdout).toBe(2);
    expect(promoted).toBe(false);
  }, 30_000);
});
