import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartAt, resolveSegment, segmentIteration, segmentShare, startSignalProblem, threadShard } from '../../harness/load/segment.ts';
import { startScriptedServer } from '../helpers/chunked-server.ts';
import { tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { segmentConfig, writeConfig } from './helpers.ts';

describe('--segment K/N and --segment auto', () => {
  it('reads K/N from the flag, 1-based', () => {
    expect(resolveSegment('2/4', undefined, {})).toEqual({ index: 1, count: 4, source: '--segment' });
    expect(resolveSegment('4/4', '4', {})).toMatchObject({ index: 3, count: 4 });
    expect(() => resolveSegment('5/4', undefined, {})).toThrow(/segment 5 of 4 does not exist/);
    expect(() => resolveSegment('0/4', undefined, {})).toThrow(/segment 0 of 4 does not exist/);
    expect(() => resolveSegment('2of4', undefined, {})).toThrow(/--segment takes K\/N/);
    expect(() => resolveSegment('2/4', '3', {})).toThrow(/--segments says 3/);
  });

  it('auto: Kubernetes JOB_COMPLETION_INDEX counts from 0, GitLab CI_NODE_INDEX from 1, PARITY_SEGMENT_INDEX from 1', () => {
    expect(resolveSegment('auto', '4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 4, source: 'JOB_COMPLETION_INDEX' });
    expect(resolveSegment('auto', '4', { JOB_COMPLETION_INDEX: '3' })).toMatchObject({ index: 3 });
    expect(() => resolveSegment('auto', '4', { JOB_COMPLETION_INDEX: '4' })).toThrow(/segment 5 of 4 does not exist/);
    // GitLab parallel: 3 → CI_NODE_INDEX 1..3, CI_NODE_TOTAL 3; the total comes from the job when --segments is not given.
    expect(resolveSegment('auto', undefined, { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toEqual({ index: 0, count: 3, source: 'CI_NODE_INDEX' });
    expect(resolveSegment('auto', '3', { CI_NODE_INDEX: '3', CI_NODE_TOTAL: '3' })).toMatchObject({ index: 2 });
    expect(() => resolveSegment('auto', '4', { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toThrow(/--segments 4 but CI_NODE_TOTAL=3/);
    expect(resolveSegment('auto', undefined, { PARITY_SEGMENT_INDEX: '2', PARITY_SEGMENT_COUNT: '2', JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 2, source: 'PARITY_SEGMENT_INDEX' });
    expect(() => resolveSegment('auto', undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow(/pass --segments N/);
    expect(() => resolveSegment('auto', '4', {})).toThrow(/JOB_COMPLETION_INDEX/);
    expect(() => resolveSegment('auto', '4', { JOB_COMPLETION_INDEX: 'x' })).toThrow(/whole number/);
  });

  it('stripes iteration numbers and thread shards so segment K/N on W workers composes', () => {
    expect(Array.from({ length: 3 }, (_, j) => segmentIteration({ index: 2, count: 4 }, j))).toEqual([2, 6, 10]);
    expect([0, 1, 2, 3].map((k) => segmentShare(10, { index: k, count: 4 }))).toEqual([3, 3, 2, 2]);
    // Segment 2/4 with 2 workers: thread shards 1 and 5 of 8, both taking i mod 4 = 1.
    expect([threadShard({ index: 1, count: 4 }, 0, 2), threadShard({ index: 1, count: 4 }, 1, 2)]).toEqual([
      { index: 1, count: 8 },
      { index: 5, count: 8 },
    ]);
    expect(threadShard(undefined, 1, 3)).toEqual({ index: 1, count: 3 });
  });

  it('--start-at takes an ISO time with its zone', () => {
    expect(parseStartAt('2026-11-30T02:00:00Z')).toBe(Date.UTC(2026, 10, 30, 2));
    expect(parseStartAt('2026-11-30T03:00:00.500+01:00')).toBe(Date.UTC(2026, 10, 30, 2, 0, 0, 500));
    expect(() => parseStartAt('2026-11-30 02:00')).toThrow(/ISO 8601/);
    expect(() => parseStartAt('tomorrow')).toThrow(/ISO 8601/);
  });

  it('a start signal past the end of the plan, or more than a day ahead, is refused before any traffic (exit 3)', async () => {
    // Late by less than the plan: its overdue starts fire at once, their lag measured (as documented).
    expect(startSignalProblem(Date.now() - 1000, Date.now(), 2000)).toBeUndefined();
    expect(startSignalProblem(undefined, Date.now(), 2000)).toBeUndefined();
    // A closed load with iterations has no planned end: it runs them whenever it starts.
    expect(startSignalProblem(Date.now() - 3_600_000, Date.now(), null)).toBeUndefined();
    const server = await startScriptedServer(() => [{ write: 'event: done\ndata: {}\n\n' }]);
    try {
      const ws = tempWorkspace();
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      // Before: a closed 2 s load sent nothing ("complete", exit 0); a 4 s arrival rate sent its whole schedule in one burst.
      for (const [name, load] of [['closed', { vus: 2, duration: '2s' }], ['rate', { model: 'constant-arrival-rate', rate: 50, duration: '4s' }]] as const) {
        const file = writeConfig(path.join(ws.dir, `${name}.json`), segmentConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: ws.promptsFile, load }));
        const r = await runCli(['run', file, '--segment', '1/2', '--start-at', hourAgo, '--out', ws.out, '--quiet']);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/PARITY_USAGE[\s\S]*--start-at .* was 36\d\d(\.\d)? s ago, past the end of the plan's [24] s: every start of this segment is overdue/);
      }
      // A day ahead is a wrong date: the segment would sit silently waiting for it.
      const file = writeConfig(path.join(ws.dir, 'ahead.json'), segmentConfig({ baselineUrl: server.url, candidateUrl: server.url, promptsFile: ws.promptsFile, load: { vus: 2, iterations: 4 } }));
      const ahead = await runCli(['run', file, '--segment', '1/2', '--start-at', new Date(Date.now() + 400 * 86_400_000).toISOString(), '--out', ws.out, '--quiet']);
      expect(ahead.code).toBe(3);
      expect(ahead.stderr).toMatch(/--start-at .* is 9\d{3} h ahead: this segment would wait that long/);
      expect(server.requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('refuses, before any traffic, a plan that cannot be cut as asked or segments without a shared run id (exit 3)', async () => {
    const ws = tempWorkspace();
    // Nothing listens on port 9: any request would fail preflight, so these must stop before it.
    const file = writeConfig(path.join(ws.dir, 'c.json'), segmentConfig({ baselineUrl: 'http://127.0.0.1:9', candidateUrl: 'http://127.0.0.1:9', promptsFile: ws.promptsFile, load: { vus: 2, iterations: 8 } }));
    const few = await runCli(['run', file, '--segment', '1/4', '--start-at', '2030-01-01T00:00:00Z', '--out', ws.out]);
    expect(few.code).toBe(3);
    expect(few.stderr).toMatch(/PARITY_USAGE[\s\S]*load\.vus is 2 but the plan is cut into 4 segments/);
    const noId = await runCli(['run', file, '--segment', '1/2', '--out', ws.out]);
    expect(noId.code).toBe(3);
    expect(noId.stderr).toMatch(/must share a run id: pass --start-at/);
    const bad = await runCli(['run', file, '--segment', 'auto', '--segments', '2', '--out', ws.out], {});
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/found no segment index/);
    expect((await runCli(['run', file, '--start-at', '2030-01-01T00:00:00Z'])).stderr).toMatch(/go with --segment/);
    // A segment is part of a run: it is never judged alone (it could pass on 1/N of the evidence).
    const judged = await runCli(['run', file, '--segment', '1/2', '--run-id', 'x', '--policy', 'seed-000-stage-b', '--out', ws.out]);
    expect(judged.code).toBe(3);
    expect(judged.stderr).toMatch(/a segment is part of one: run the segments without it and judge the merged run/);
  });
});
