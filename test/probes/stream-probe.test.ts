import { describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { probeStream, type StreamRequest } from '../../harness/probes/stream-probe.ts';
import { compileProfile } from '../../harness/probes/stream-profile.ts';
import { StreamProfile, Timeouts } from '../../harness/config/schema.ts';
import { STREAM_PRESETS } from '../../harness/targets/stream-presets.ts';
import { chunkBytes, startScriptedServer, type Step } from '../helpers/chunked-server.ts';

const timeouts = Timeouts.parse({ firstEvent: '2s', idle: '1s', total: '20s' });
const req: StreamRequest = {
  target: 't',
  role: 'baseline',
  scenario: 's',
  requestId: 'r1',
  iteration: 0,
  vu: 1,
  promptIndex: 0,
  expectsCitations: true,
  method: 'POST',
  path: '/',
  headers: {},
  body: '{}',
};

// Named-events stream exercising the SSE grammar: a comment, retry and id fields, multi-line
// data, a multi-byte UTF-8 payload, then citations and the terminal event.
function namedEvents(eol: string): string {
  const lines = [
    ': hello comment',
    'retry: 2500',
    '',
    'id: 1',
    'event: token',
    'data: {"text":"caf\u00e9 \u2615 "}',
    '',
    'event: token',
    'data: {"text":',
    'data: "\u4f60\u597d \ud83d\ude80"}',
    '',
    ': keep-alive',
    '',
    'event: token',
    'data: {"text":"end"}',
    '',
    'event: citations',
    'data: {"citations":[{"id":"a"},{"id":"b"}]}',
    '',
    'event: done',
    'data:',
    '',
    '',
  ];
  return lines.join(eol);
}

const profile = compileProfile(StreamProfile.parse(STREAM_PRESETS['named-events']));

async function measure(steps: Step[]) {
  const server = await startScriptedServer(() => steps);
  const pool = new Pool(server.url);
  try {
    return await probeStream(pool, profile, req, timeouts);
  } finally {
    await pool.destroy();
    await server.close();
  }
}

const essentials = (s: Awaited<ReturnType<typeof measure>>) => ({
  outcome: s.outcome,
  events: s.events,
  contentChunks: s.contentChunks,
  contentChars: s.contentChars,
  citations: s.citations,
  bytes: s.bytes,
  gaps: s.gapsMs.length,
});

describe('stream probe: SSE framing does not change what is measured', () => {
  const payload = Buffer.from(namedEvents('\n'));
  const expected = {
    outcome: 'complete',
    events: 5,
    contentChunks: 3,
    contentChars: [...'café ☕ '].length + [...'你好 🚀'].length + 'end'.length, // code points: the rocket is one
    citations: 2,
    bytes: payload.length,
    gaps: 4,
  };

  it('whole payload in one write', async () => {
    expect(essentials(await measure([{ write: payload }]))).toEqual(expected);
  });

  it('one byte at a time, splitting every UTF-8 character and every line break', async () => {
    const steps = chunkBytes(payload, () => 1).map((b) => ({ write: b }));
    expect(essentials(await measure(steps))).toEqual(expected);
  });

  it('random chunk sizes', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 17) + 1;
    for (let round = 0; round < 3; round++) {
      const steps = chunkBytes(payload, rand).map((b) => ({ write: b }));
      expect(essentials(await measure(steps))).toEqual(expected);
    }
  });

  it.each([
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s line endings measure the same as LF, whole and byte by byte', async (_name, eol) => {
    const bytes = Buffer.from(namedEvents(eol));
    const want = { ...expected, bytes: bytes.length };
    expect(essentials(await measure([{ write: bytes }]))).toEqual(want);
    expect(essentials(await measure(chunkBytes(bytes, () => 1).map((b) => ({ write: b }))))).toEqual(want);
  });

  it('a CR-framed event is seen when it arrives, not one chunk later', async () => {
    const s = await measure([
      { write: 'event: token\rdata: {"text":"a"}\r\r' },
      { wait: 150 },
      { write: 'event: done\rdata: {}\r\r' },
    ]);
    expect(s.outcome).toBe('complete');
    expect(s.firstContentMs!).toBeLessThan(100);
    expect(s.completionMs! - s.firstContentMs!).toBeGreaterThanOrEqual(140);
  });
});

describe('stream probe: first content', () => {
  it('a role-only first chunk is a first event but not first content', async () => {
    const openai = compileProfile(StreamProfile.parse(STREAM_PRESETS.openai));
    const server = await startScriptedServer(() => [
      { write: 'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n' },
      { wait: 100 },
      { write: 'data: {"choices":[{"index":0,"delta":{"content":""}}]}\n\n' },
      { wait: 100 },
      { write: 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n' },
      { write: 'data: [DONE]\n\n' },
    ]);
    const pool = new Pool(server.url);
    try {
      const s = await probeStream(pool, openai, req, timeouts);
      expect(s.outcome).toBe('complete');
      expect(s.firstEventMs!).toBeLessThan(60);
      expect(s.firstContentMs!).toBeGreaterThanOrEqual(195);
      expect(s.contentChunks).toBe(1);
      expect(s.contentChars).toBe(2);
    } finally {
      await pool.destroy();
      await server.close();
    }
  });
});

describe('stream probe: outcomes', () => {
  it('stalled: no event within the idle timeout', async () => {
    const s = await measure([{ write: 'event: token\ndata: {"text":"a"}\n\n' }, { wait: 1300 }]);
    expect(s.outcome).toBe('stalled');
    expect(s.error?.code).toBe('PARITY_IDLE_TIMEOUT');
    expect(s.endMs).toBeGreaterThanOrEqual(990);
  });

  it('no_terminal: the body ends cleanly without the terminal event', async () => {
    const s = await measure([{ write: 'event: token\ndata: {"text":"a"}\n\n' }]);
    expect(s.outcome).toBe('no_terminal');
  });

  it('malformed: data that is not JSON under a JSON profile', async () => {
    const s = await measure([{ write: 'event: token\ndata: {not json\n\nevent: done\ndata: {}\n\n' }]);
    expect(s.outcome).toBe('malformed');
    expect(s.error?.code).toBe('PARITY_MALFORMED_DATA');
  });

  it('timeout: the whole-stream limit', async () => {
    const server = await startScriptedServer(() => Array.from({ length: 12 }, () => [{ write: 'event: token\ndata: {"text":"a"}\n\n' }, { wait: 50 }]).flat());
    const pool = new Pool(server.url);
    try {
      const s = await probeStream(pool, profile, req, Timeouts.parse({ idle: '1s', total: '300ms' }));
      expect(s.outcome).toBe('timeout');
      expect(s.error?.code).toBe('PARITY_TOTAL_TIMEOUT');
      expect(s.endMs).toBeGreaterThanOrEqual(295);
      expect(s.endMs).toBeLessThan(450);
    } finally {
      await pool.destroy();
      await server.close();
    }
  });

  it('connect_error: nothing listens on the port', async () => {
    const server = await startScriptedServer(() => []);
    const url = server.url;
    await server.close();
    const pool = new Pool(url);
    const s = await probeStream(pool, profile, req, timeouts);
    await pool.destroy();
    expect(s.outcome).toBe('connect_error');
    expect(s.error?.code).toBe('ECONNREFUSED');
  });
});
