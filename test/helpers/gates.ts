import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicy, type LoadedPolicy } from '../../harness/gates/load.ts';
import type { GateInput, PolicyInput } from '../../harness/gates/policy.ts';
import type { PairedSample, StreamSample } from '../../harness/metrics/sample.ts';
import { summarize } from '../../harness/metrics/summary.ts';
import { RUN_SCHEMA_VERSION, type RunResult } from '../../harness/run/result.ts';

/** A completed stream with the given completion time; override anything. */
export function stream(over: Partial<StreamSample> = {}): StreamSample {
  const completionMs = over.completionMs ?? 100;
  return {
    target: 't',
    role: 'baseline',
    scenario: 's',
    requestId: 'r',
    iteration: 0,
    vu: 0,
    promptIndex: 0,
    expectsCitations: true,
    startedAt: 0,
    outcome: 'complete',
    status: 200,
    headersMs: 1,
    firstEventMs: 10,
    firstContentMs: 10,
    completionMs,
    endMs: completionMs,
    gapsMs: [],
    events: 5,
    contentChunks: 4,
    contentChars: 100,
    bytes: 500,
    citations: 1,
    ...over,
  };
}

/** n pairs; `b(i)` / `c(i)` give each side's overrides. */
export function pairs(n: number, b: (i: number) => Partial<StreamSample>, c: (i: number) => Partial<StreamSample>, scenario = 's'): PairedSample[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: `r${i}`,
    scenario,
    iteration: i,
    baseline: stream({ role: 'baseline', target: 'base', scenario, requestId: `r${i}`, iteration: i, ...b(i) }),
    candidate: stream({ role: 'candidate', target: 'cand', scenario, requestId: `r${i}`, iteration: i, ...c(i) }),
  }));
}

/** A run.json for these pairs, summaries computed the way the engine does. */
export function runOf(ps: PairedSample[], over: Partial<RunResult> = {}): RunResult {
  const scenarios = [...new Set(ps.map((p) => p.scenario))];
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: { name: 'parity', version: 'test' },
    runId: 'run-1',
    name: 'test run',
    configFile: 'parity.config.json',
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(1000).toISOString(),
    complete: true,
    config: { scenarios: scenarios.map((s) => ({ name: s, route: `route-${s}` })) },
    targets: [
      { name: 'base', role: 'baseline', baseUrl: 'http://127.0.0.1:1' },
      { name: 'cand', role: 'candidate', baseUrl: 'http://127.0.0.1:2' },
    ],
    preflight: [],
    load: { model: 'closed', plannedIterations: ps.length, plannedDurationMs: null, iterations: ps.length, abandoned: 0, durationMs: 1000 },
    summaries: scenarios.map((s) => {
      const mine = ps.filter((p) => p.scenario === s);
      return { scenario: s, baseline: summarize('base', 'baseline', s, mine.map((p) => p.baseline)), candidate: summarize('cand', 'candidate', s, mine.map((p) => p.candidate)) };
    }),
    samples: { file: 'samples.ndjson', pairs: ps.length },
    ...over,
  };
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'parity-gates-'));
}

/** Writes a policy as JSON into a temp folder and loads it the way the CLI does. */
export async function policyOf(gates: GateInput[], extra: Partial<PolicyInput> = {}, dir = tempDir()): Promise<LoadedPolicy> {
  const file = path.join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify({ name: 'test-policy', minSamples: 1, ...extra, gates }));
  return loadPolicy(file);
}
