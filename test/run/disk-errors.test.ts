import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { outputFs } from '../../harness/output/fs.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * Issue 11, point 4: a disk that fills up (or turns read-only) while parity writes is a harness
 * error: exit 3, PARITY_OUTPUT_FAILED, no stack trace, the last good run.json kept; never exit 1.
 * Failures are injected through the output fs layer (harness/output/fs.ts), so the test needs no
 * small file system and runs anywhere.
 */
const errno = (code: string, syscall: string) => Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'read-only file system'}, ${syscall}`), { code, syscall });

describe('disk errors while writing', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'q', expectsCitations: true }]);
  let config: string;
  let policy: string;
  const promoted = path.join(ws.dir, 'promoted');
  const held = path.join(ws.dir, 'held');
  beforeAll(async () => {
    proc = await startFixtureProcess([{ framing: 'named-events', tokens: 2 }, { framing: 'named-events', tokens: 2 }]);
    config = path.join(ws.dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify(streamConfig({ baselineUrl: proc.fixtures[0]!.url, candidateUrl: proc.fixtures[1]!.url, promptsFile: ws.promptsFile, load: { vus: 4, iterations: 200 } })));
    const mark = (file: string) => `[${JSON.stringify(process.execPath)}, -e, "require('fs').writeFileSync(process.argv[1], process.env.PARITY_VERDICT)", ${JSON.stringify(file)}]`;
    policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, `minSamples: 5\ngates:\n  - { metric: error_rate, threshold: "<= 50%" }\nhooks:\n  onPass:\n    exec: ${mark(promoted)}\n  onInconclusive:\n    exec: ${mark(held)}\n`);
  });
  afterAll(async () => {
    await proc?.close();
  });
  afterEach(() => vi.restoreAllMocks());

  const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);
  const runJsonOf = (id: string) => path.join(ws.out, id, 'run.json');

  it('ENOSPC on the samples spool mid-load: the run stops, exit 3, the pairs written so far kept, never onPass', async () => {
    const real = outputFs.writeSync;
    let calls = 0;
    // The spool writes the pairs of one event-loop turn at once: count the records the writes that succeeded carried.
    let records = 0;
    vi.spyOn(outputFs, 'writeSync').mockImplementation(((...args: Parameters<typeof real>) => {
      if (++calls > 30) throw errno('ENOSPC', 'write');
      const [, buf, offset, length] = args as unknown as [number, Buffer, number, number];
      for (let at = offset; at < offset + length; at += buf.readUInt32LE(at)) records++;
      return real(...args);
    }) as typeof real);
    const r = await runCli(['run', config, '--out', ws.out, '--run-id', 'enospc-load', '--quiet', '--policy', policy]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*samples\.ndjson\.spool: cannot write the samples spool \(ENOSPC: no space left on device\); the disk is full/m);
    noStack(r.stderr);
    const run = JSON.parse(readFileSync(runJsonOf('enospc-load'), 'utf8')) as RunResult;
    expect(run.complete).toBe(false);
    expect(run.incompleteReason).toMatch(/^harness error: .*ENOSPC/);
    expect(records).toBeGreaterThanOrEqual(30);
    expect(run.samples.pairs).toBe(records);
    expect(readFileSync(path.join(ws.out, 'enospc-load', 'samples.ndjson'), 'utf8').trim().split('\n')).toHaveLength(records);
    // The summaries count exactly the pairs on disk: none of the failed write's.
    expect(run.summaries[0]!.baseline.count).toBe(records);
    expect(run.verdict!.status).toBe('inconclusive');
    expect(existsSync(promoted)).toBe(false);
    expect(readFileSync(held, 'utf8')).toBe('inconclusive');
  });

  it('ENOSPC on the final run.json: exit 3, and the last good run.json is left whole', async () => {
    const real = outputFs.writeFile;
    let runJsonWrites = 0;
    vi.spyOn(outputFs, 'writeFile').mockImplementation((async (file: string, data: string) => {
      if (String(file).includes('run.json.tmp-') && ++runJsonWrites > 1) throw errno('ENOSPC', 'write');
      return real(file, data);
    }) as typeof real);
    const r = await runCli(['run', config, '--out', ws.out, '--run-id', 'enospc-end', '--quiet']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*run\.json: cannot write run\.json \(ENOSPC/m);
    noStack(r.stderr);
    // The first run.json (written as the run started) is still there, valid JSON, saying it did not finish.
    const run = JSON.parse(readFileSync(runJsonOf('enospc-end'), 'utf8')) as RunResult;
    expect([run.complete, run.incompleteReason]).toEqual([false, 'running']);
    expect(readFileSync(path.join(ws.out, 'enospc-end', 'samples.ndjson'), 'utf8').trim().split('\n')).toHaveLength(200);
  });

  it('a read-only audit log in parity gate: exit 3, PARITY_OUTPUT_FAILED, no hook fired', async () => {
    const ok = await runCli(['run', config, '--out', ws.out, '--run-id', 'erofs', '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
    vi.spyOn(outputFs, 'appendFile').mockRejectedValue(errno('EROFS', 'open'));
    const r = await runCli(['gate', runJsonOf('erofs'), '--policy', policy]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*audit\.ndjson: cannot write the audit log \(EROFS: read-only file system\); the file system is read-only/m);
    noStack(r.stderr);
    // Audit before action: with no audit line possible, no hook ran.
    expect(existsSync(promoted)).toBe(false);
    expect(JSON.parse(readFileSync(runJsonOf('erofs'), 'utf8')).complete).toBe(true);
  });

  it('on a real file system: a spool path taken by a folder fails the same way, with and without worker threads', async () => {
    for (const [id, spool, extra] of [
      ['eisdir', 'samples.ndjson.spool', []],
      ['eisdir-workers', 'samples.ndjson.1.spool', ['--workers', '2']],
    ] as const) {
      mkdirSync(path.join(ws.out, id, spool), { recursive: true });
      const r = await runCli(['run', config, '--out', ws.out, '--run-id', id, '--quiet', ...extra]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/^parity: PARITY_OUTPUT_FAILED\n.*spool: cannot write the samples spool \(EISDIR: .*\); the path is a folder, not a file/m);
      noStack(r.stderr);
      const run = JSON.parse(readFileSync(runJsonOf(id), 'utf8')) as RunResult;
      expect(run.complete).toBe(false);
    }
  });
});
