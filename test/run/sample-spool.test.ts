import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { outputFs } from '../../harness/output/fs.ts';
import type { PairedSample, StreamSample } from '../../harness/metrics/sample.ts';
import { SampleSpool, SPOOL_SUFFIX } from '../../harness/run/sample-spool.ts';
import { ensureSamples } from '../../harness/run/samples-file.ts';
import { spooledPairs } from '../helpers/spool.ts';

/** Every field of a stream sample set, so a field the spool forgot to carry shows up as a difference (request fields: test/probes/request-spool.test.ts). */
const everyField: Required<Omit<StreamSample, 'step' | 'route' | 'streamReadWhole'>> = {
  target: 'python-api',
  role: 'baseline',
  scenario: 'chat "rag"',
  requestId: 'run-1-7',
  iteration: 7,
  vu: 3,
  promptIndex: 2,
  expectsCitations: true,
  startedAt: 1_763_859_535_123,
  intendedAt: 1_763_859_535_121.457,
  dispatchLagMs: 1.543,
  outcome: 'error_event',
  status: 200,
  error: { code: 'PARITY_ERROR_EVENT', message: 'quota "exceeded"\n\tretry later — ünïcödé 🚀 \\ \u0000' },
  headersMs: 12.345,
  firstEventMs: 40.001,
  firstContentMs: 41.5,
  completionMs: 812.25,
  endMs: 813,
  gapsMs: [10.125, 0, 33.3, 1e-3],
  events: 5,
  contentChunks: 3,
  contentChars: 57,
  bytes: 1234,
  citations: 2,
  outputTokens: 40,
  tokensEstimated: true,
  finishReason: 'length',
  itlMs: 19.875,
  tpotMs: 20.125,
};

const fewFields: StreamSample = {
  target: 'node-api',
  role: 'candidate',
  scenario: 'chat "rag"',
  requestId: 'run-1-7',
  iteration: 7,
  vu: 3,
  promptIndex: 2,
  expectsCitations: false,
  startedAt: 1_763_859_535_124,
  outcome: 'connect_error',
  endMs: 0.25,
  gapsMs: [],
  events: 0,
  contentChunks: 0,
  contentChars: 0,
  bytes: 0,
  citations: 0,
};

const pair = (i: number, b: StreamSample = everyField, c: StreamSample = fewFields): PairedSample => ({
  requestId: `run-1-${i}`,
  scenario: 'chat "rag"',
  iteration: i,
  baseline: { ...b, iteration: i, requestId: `run-1-${i}` },
  candidate: { ...c, iteration: i, requestId: `run-1-${i}` },
});

/** What the file must hold for a pair: what JSON.stringify writes of it (NaN as null, undefined left out). */
const asJson = (p: PairedSample) => JSON.parse(JSON.stringify(p)) as unknown;
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
const tempFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'parity-spool-')), 'samples.ndjson');

describe('sample spool', () => {
  it('writes every field of every pair to NDJSON when it ends, and removes the spool', async () => {
    const file = tempFile();
    const spool = new SampleSpool(file);
    const pairs = [pair(0), pair(1, fewFields, everyField), pair(2, { ...everyField, headersMs: NaN, gapsMs: [Infinity] })];
    for (const p of pairs) spool.write(p);
    await spool.end();
    expect(lines(file)).toEqual(pairs.map(asJson));
    expect((lines(file)[2] as PairedSample).baseline.headersMs).toBeNull();
    expect(existsSync(file + SPOOL_SUFFIX)).toBe(false);
  });

  it('keeps order across chunk flushes and a record bigger than a chunk', async () => {
    const file = tempFile();
    const spool = new SampleSpool(file);
    const pairs: PairedSample[] = [];
    for (let i = 0; i < 6000; i++) pairs.push(pair(i, { ...everyField, gapsMs: Array.from({ length: i % 50 }, (_, g) => g + i / 1000) }));
    // 2 MB of gaps in one sample: larger than the 1 MB chunk.
    pairs.splice(3000, 0, pair(3000.5, { ...everyField, gapsMs: Array.from({ length: 250_000 }, (_, g) => g / 7) }));
    for (const p of pairs) spool.write(p);
    await spool.end();
    const got = lines(file);
    expect(got).toHaveLength(pairs.length);
    expect(got).toEqual(pairs.map(asJson));
  });

  it('gives back strings it leaves out as repeats (same target as before, same id and scenario as the pair) as written', async () => {
    const file = tempFile();
    const spool = new SampleSpool(file);
    const pairs: PairedSample[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = pair(i, { ...everyField, target: `python-api-${Math.floor(i / 7) % 3}`, gapsMs: Array.from({ length: 40 }, (_, g) => g) });
      if (i % 5 === 0) p.candidate = { ...p.candidate, requestId: `other-${i}`, target: `node-api-${i % 2}` };
      if (i % 11 === 0) p.baseline = { ...p.baseline, scenario: `scenario-${i}` };
      pairs.push(p);
    }
    for (const p of pairs) spool.write(p);
    await spool.end();
    expect(lines(file)).toEqual(pairs.map(asJson));
  });

  it('writes an empty samples file when no pair came', async () => {
    const file = tempFile();
    await new SampleSpool(file).end();
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('recovers the pairs a killed run left in its spool, without the record cut short', async () => {
    const file = tempFile();
    const spool = new SampleSpool(file);
    const pairs = [pair(0), pair(1), pair(2)];
    for (const p of pairs) spool.write(p);
    await spool.close();
    expect(existsSync(file)).toBe(false);
    truncateSync(file + SPOOL_SUFFIX, statSync(file + SPOOL_SUFFIX).size - 5);
    await ensureSamples(file);
    expect(lines(file)).toEqual(pairs.slice(0, 2).map(asJson));
    expect(existsSync(file + SPOOL_SUFFIX)).toBe(false);
    // A samples file already there is left alone.
    await ensureSamples(file);
    expect(lines(file)).toHaveLength(2);
  });

  it('refuses a pair written after it ended: no second spool appears to replace the finished samples file on its first read', async () => {
    for (const batch of [false, true]) {
      const file = tempFile();
      const spool = new SampleSpool(file, { batch });
      spool.write(pair(0));
      spool.write(pair(1));
      await spool.end();
      // A pair that finished after the run's load stopped (others were still running when a harness error ended it).
      expect(() => spool.write(pair(2))).toThrow(/request run-1-2\) was measured after samples\.ndjson was closed; it is not kept/);
      await new Promise((r) => setImmediate(r));
      expect(existsSync(file + SPOOL_SUFFIX)).toBe(false);
      await ensureSamples(file);
      expect(lines(file)).toEqual([pair(0), pair(1)].map(asJson));
    }
  });
});

describe('sample spool on disk while the run goes', () => {
  it('writes each pair to the spool on disk as it is written: a process killed outright loses none', async () => {
    const file = tempFile();
    const spool = new SampleSpool(file);
    spool.write(pair(0));
    expect(spooledPairs(file)).toBe(1);
    spool.write(pair(1));
    expect(spooledPairs(file)).toBe(2);
    spool.write(pair(2));
    await spool.end();
    expect(lines(file)).toEqual([pair(0), pair(1), pair(2)].map(asJson));
  });
});

describe('batched sample spool (as the run writes it: one write per event-loop turn)', () => {
  const turn = () => new Promise((r) => setImmediate(r));
  afterEach(() => vi.restoreAllMocks());

  it('writes the pairs of one turn in one write at the end of the turn, and counts them only then', async () => {
    const file = tempFile();
    const written: number[] = [];
    const spool = new SampleSpool(file, { batch: true, onWritten: (ps) => written.push(...ps.map((p) => p.iteration)) });
    const writes = vi.spyOn(outputFs, 'writeSync');
    for (let i = 0; i < 5; i++) spool.write(pair(i));
    expect([spooledPairs(file), written]).toEqual([0, []]);
    await turn();
    expect([spooledPairs(file), written, writes.mock.calls.length]).toEqual([5, [0, 1, 2, 3, 4], 1]);
    spool.write(pair(5));
    await spool.end();
    expect(written).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines(file)).toEqual([0, 1, 2, 3, 4, 5].map((i) => asJson(pair(i))));
  });

  it('a write that takes only part of the batch is continued: every record reaches the spool', async () => {
    const file = tempFile();
    const real = outputFs.writeSync;
    vi.spyOn(outputFs, 'writeSync').mockImplementation(((fd: number, buf: Buffer, offset: number, length: number) => real(fd, buf, offset, Math.min(length, 100))) as typeof real);
    const spool = new SampleSpool(file, { batch: true });
    for (let i = 0; i < 20; i++) spool.write(pair(i));
    await spool.end();
    expect(lines(file)).toHaveLength(20);
  });

  it('a write that fails at the end of the turn: onError gets it, its pairs are counted nowhere, the next write throws it', async () => {
    const file = tempFile();
    const real = outputFs.writeSync;
    let calls = 0;
    vi.spyOn(outputFs, 'writeSync').mockImplementation(((...args: Parameters<typeof real>) => {
      if (++calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return real(...args);
    }) as typeof real);
    const written: number[] = [];
    const errors: unknown[] = [];
    const spool = new SampleSpool(file, { batch: true, onWritten: (ps) => written.push(...ps.map((p) => p.iteration)), onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) spool.write(pair(i));
    await turn();
    for (let i = 3; i < 6; i++) spool.write(pair(i));
    await turn();
    expect(written).toEqual([0, 1, 2]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/samples\.ndjson\.spool: cannot write the samples spool \(ENOSPC/);
    expect(() => spool.write(pair(6))).toThrow(/ENOSPC/);
    // Reported already: closing leaves the spool as it is, with the pairs counted.
    await spool.end();
    expect(lines(file).map((p) => (p as PairedSample).iteration)).toEqual([0, 1, 2]);
  });

  it('without onError, a failed end-of-turn write is thrown by close', async () => {
    const file = tempFile();
    vi.spyOn(outputFs, 'writeSync').mockImplementation((() => {
      throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
    }) as typeof outputFs.writeSync);
    const spool = new SampleSpool(file, { batch: true });
    spool.write(pair(0));
    await turn();
    await expect(spool.close()).rejects.toThrow(/EROFS/);
  });

  // A process that ends in the turn its pairs were measured in: process.exit, an uncaught exception, a fatal signal Node exits on.
  it.each([
    ['process.exit(1)', 'process.exit(1);'],
    ['an uncaught exception', "throw new Error('crash');"],
  ])('a process that ends through %s in the same turn loses no pair: the spool is flushed on exit', async (_name, end) => {
    const file = tempFile();
    const script = path.join(path.dirname(file), 'crash.ts');
    const spoolModule = path.resolve('harness/run/sample-spool.ts');
    writeFileSync(
      script,
      `import { SampleSpool } from ${JSON.stringify(spoolModule)};
const s = new SampleSpool(${JSON.stringify(file)}, { batch: true });
const p = ${JSON.stringify(pair(0))};
for (let i = 0; i < 50; i++) s.write({ ...p, iteration: i });
${end}
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(spooledPairs(file)).toBe(50);
    await ensureSamples(file);
    expect(lines(file).map((p) => (p as PairedSample).iteration)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
