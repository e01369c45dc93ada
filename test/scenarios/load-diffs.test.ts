import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContractFixture, type ContractFixture } from '../../fixtures/backends/contract-backend.ts';
import { resolveConfig } from '../../harness/config/load.ts';
import { writeReports } from '../../harness/reporters/index.ts';
import { runParity, type RunOutput } from '../../harness/run/engine.ts';
import { curlRequest, shellWords } from '../helpers/shell-words.ts';

/**
 * Contract drift found under load comes with what it takes to reproduce it: the candidate loses
 * half its writes, so half the read-backs answer 404 there; each drifting pair (the first 20) is
 * written to diffs/<n>.json with both requests and responses and a curl line per target that,
 * run again, sends the same request to the same target. The config's bearer token is in no file.
 */
const TOKEN = `cfg-${randomBytes(12).toString('hex')}`;
const ITERATIONS = 50;

interface DiffFile {
  scenario: string;
  step: string;
  route: string;
  iteration: number;
  requestId: string;
  differences: { pointer: string; kind: string }[];
  baseline: Side;
  candidate: Side;
}
interface Side {
  target: string;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response: { status: number | null; headers: Record<string, string>; body: unknown };
  curl: string;
  env: Record<string, string>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Sends a curl line again: with the real curl when installed, else as undici (the line parsed as sh would). Returns the status. */
async function replay(line: string, env: Record<string, string>): Promise<number> {
  if (existsSync('/usr/bin/curl') && !process.env.PARITY_TEST_NO_CURL) {
    // Asynchronously: the fixtures answer from this process.
    const { stdout: out } = await promisify(execFile)('sh', ['-c', line], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 10_000 });
    return Number(/^HTTP\/[\d.]+ (\d{3})/.exec(out)?.[1]);
  }
  const r = curlRequest(shellWords(line, env));
  const res = await request(r.url, { method: r.method as 'GET', headers: r.headers, body: r.body });
  await res.body.dump();
  return res.statusCode;
}

/** Create a lot, read it back, every pair compared, with the config's bearer token (`${PARITY_TEST_TOKEN}` from the environment, or written out). */
async function flowConfig(b: ContractFixture, c: ContractFixture, dir: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return resolveConfig(
    {
      targets: [
        { name: 'express', role: 'baseline', baseUrl: b.url, routes: {} },
        { name: 'fastapi', role: 'candidate', baseUrl: c.url, routes: {} },
      ],
      scenarios: [
        {
          type: 'flow',
          name: 'lots',
          compare: 'all',
          noise: true,
          rules: { formats: { '/**/created_at': 'iso-datetime' } },
          vars: { code: 'LOT-{{unique}}' },
          steps: [
            { name: 'create_lot', route: 'POST /api/lots', headers: auth, body: { lot_code: '{{code}}', lot_type: 'RAW' }, capture: { lot_id: '$.id' }, expect: { status: 201 } },
            { name: 'get_lot', route: 'GET /api/lots/{{lot_id}}', headers: auth, readBack: { step: 'create_lot' } },
          ],
        },
      ],
      load: { vus: 6, iterations: ITERATIONS },
      preflight: { retries: 0, interval: 10 },
    },
    path.join(dir, 'inline.json'),
    { ...process.env, PARITY_TEST_TOKEN: TOKEN },
  );
}

describe.each([
  ['from the environment', '${PARITY_TEST_TOKEN}'],
  ['written in the config', TOKEN],
])('contract diffs under load: an artifact per drifting pair, with a curl that replays it (bearer token %s)', (_how, token) => {
  let b: ContractFixture;
  let c: ContractFixture;
  let out: RunOutput;
  let diffs: string[];
  let docs: DiffFile[];
  beforeAll(async () => {
    b = await startContractFixture({ apiToken: TOKEN });
    c = await startContractFixture({ apiToken: TOKEN, lostWrites: 0.5 });
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-ldiff-'));
    const loaded = await flowConfig(b, c, dir, token);
    out = await runParity(loaded, { outDir: dir });
    await writeReports(out.result, out.dir);
    const step = out.result.contracts!.find((s) => s.underLoad && s.step === 'get_lot')!;
    diffs = step.diffs ?? [];
    docs = diffs.map((f) => JSON.parse(readFileSync(path.join(out.dir, f), 'utf8')) as DiffFile);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([b?.close(), c?.close()]);
  });

  it('counts every drifting read-back and writes the first 20 whole, linked from run.json and the reports', () => {
    expect(out.result.complete).toBe(true);
    const step = out.result.contracts!.find((s) => s.underLoad && s.step === 'get_lot')!;
    // Half of the candidate's 50 creates were lost: 25 read-backs drifted (404 against 200).
    expect(step.drifted).toBe(ITERATIONS / 2);
    expect(diffs).toEqual(Array.from({ length: 20 }, (_, i) => `diffs/${i + 1}.json`));
    expect(step.artifact).toBe('diffs/1.json');
    expect(out.result.contracts!.find((s) => s.underLoad && s.step === 'create_lot')!.diffs).toBeUndefined();
    const md = readFileSync(path.join(out.dir, 'summary.md'), 'utf8');
    expect(md).toContain('[`diffs/1.json`](diffs/1.json)');
    expect(md).toContain('(the first 20 of 25)');
    const html = readFileSync(path.join(out.dir, 'report.html'), 'utf8');
    expect(html).toContain('<a href="diffs/20.json">diffs/20.json</a>');
  });

  it('each diff holds the pair: request ids, both requests and responses, the drift, a curl per target', () => {
    const iterations = docs.map((d) => d.iteration);
    expect(iterations).toEqual([...iterations].sort((x, y) => x - y));
    for (const d of docs) {
      expect([d.scenario, d.step, d.route]).toEqual(['lots', 'get_lot', 'GET /api/lots/:lot_id']);
      expect(d.requestId).toMatch(/-get_lot$/);
      expect(d.differences).toContainEqual(expect.objectContaining({ kind: 'status', baseline: 200, candidate: 404 }));
      expect([d.baseline.target, d.baseline.response.status, d.candidate.target, d.candidate.response.status]).toEqual(['express', 200, 'fastapi', 404]);
      // The pair as measured: the same request id in the samples, and on both servers' logs.
      const pair = out.pairs.find((p) => p.requestId === d.requestId)!;
      expect([pair.baseline.status, pair.candidate.status]).toEqual([200, 404]);
      for (const side of [d.baseline, d.candidate]) {
        expect(side.request.headers.authorization).toBe('[redacted]');
        expect(side.curl).toContain('-H "authorization: Bearer ${PARITY_TOKEN}"');
        expect(Object.keys(side.env)).toEqual(['PARITY_TOKEN']);
        const r = curlRequest(shellWords(side.curl, { PARITY_TOKEN: TOKEN }));
        expect(r).toEqual({ method: 'GET', url: side.request.url, headers: expect.objectContaining({ authorization: `Bearer ${TOKEN}`, 'x-request-id': d.requestId }), body: undefined });
      }
      expect(d.baseline.request.url.startsWith(b.url + '/api/lots/')).toBe(true);
      expect(d.candidate.request.url.startsWith(c.url + '/api/lots/')).toBe(true);
    }
  });

  it('the curl lines replay the same requests: each target answers as it did under load', async () => {
    for (const d of docs.slice(0, 3)) {
      // Under load: twice on each target (the noise replica on the baseline, its counterweight on the candidate; same request id).
      const before = [b, c].map((f) => f.served.filter((s) => s.requestId === d.requestId).length);
      expect(before).toEqual([2, 2]);
      expect(await replay(d.baseline.curl, { PARITY_TOKEN: TOKEN })).toBe(200);
      expect(await replay(d.candidate.curl, { PARITY_TOKEN: TOKEN })).toBe(404);
      // The servers logged the replays under the pair's request id and route.
      for (const [k, f] of [b, c].entries()) {
        const seen = f.served.filter((s) => s.requestId === d.requestId);
        expect(seen).toHaveLength(before[k]! + 1);
        expect(seen.at(-1)!.route).toBe('GET /api/lots/:id');
      }
    }
    // Without the variable the line does not send a credential by accident.
    expect(() => shellWords(docs[0]!.candidate.curl, {})).toThrow(/PARITY_TOKEN is not set/);
  });

  it('the config bearer token is in no file of the run directory', () => {
    const files = filesUnder(out.dir);
    expect(files.map((f) => path.relative(out.dir, f))).toEqual(expect.arrayContaining(['run.json', 'samples.ndjson', 'summary.md', 'report.html', 'diffs/1.json']));
    for (const f of files) expect(readFileSync(f, 'utf8').includes(TOKEN), f).toBe(false);
  });

  it('a segment of a plan writes its own diffs; its segment state (read by merge) holds neither the kept pairs nor the token', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-ldiff-seg-'));
    const seg = await runParity(await flowConfig(b, c, dir, token), { outDir: dir, runId: 'plan', segment: { index: 0, count: 2, source: 'test' } });
    expect(seg.result.complete).toBe(true);
    const step = seg.result.contracts!.find((s) => s.underLoad && s.step === 'get_lot')!;
    expect(step.drifted).toBeGreaterThan(0);
    expect(step.diffs!.length).toBe(Math.min(20, step.drifted));
    const state = readFileSync(path.join(seg.dir, 'segment-state.json'), 'utf8');
    expect(state).toContain('"loadContracts"');
    expect(state).not.toContain('loadDiffs');
    for (const f of filesUnder(seg.dir)) expect(readFileSync(f, 'utf8').includes(TOKEN), f).toBe(false);
  });
});
