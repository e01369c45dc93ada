import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../harness/config/load.ts';
import { runParity } from '../../harness/run/engine.ts';
import { RunResult } from '../../harness/run/result.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { runCli } from '../helpers/cli.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * A candidate stream profile that reads nothing (content at a path the stream does not have: every
 * stream complete, no content) gives each segment's run.json a `warnings` entry, and a run with
 * warnings never passes. `parity merge` summed the segments' summaries but did not look at them
 * again: the merged run had no warnings, and `completion.p95 <= 3x baseline` passed streams that
 * were never understood.
 */
describe('parity merge: a stream profile that read nothing', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'what does the handbook say?' }]);
  const policy = path.join(ws.dir, 'policy.yaml');
  let dirs: string[];
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'openai', streamPath: '/chat/stream', tokens: 3 },
      { framing: 'openai', streamPath: '/chat/stream', tokens: 3 },
    ]);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      baselineStream: 'openai',
      candidateStream: { preset: 'openai', content: { path: 'choices[0].delta.text' } },
      baselinePath: '/chat/stream',
      candidatePath: '/chat/stream',
      load: { vus: 4, iterations: 60 },
    });
    writeFileSync(ws.configFile, JSON.stringify(cfg));
    const loaded = await resolveConfig(cfg, ws.configFile);
    const startAtMs = Date.now() + 300;
    const outs = await Promise.all([0, 1].map((index) => runParity(loaded, { outDir: ws.out, runId: 'unread', segment: { index, count: 2, source: 'test', startAtMs } })));
    dirs = outs.map((o) => o.dir);
    writeFileSync(policy, 'minSamples: 20\ngates:\n  - { metric: completion.p95, threshold: "<= 3x baseline or <= baseline + 50ms" }\n');
  }, 60_000);
  afterAll(async () => {
    await proc?.close();
  });

  it('keeps the warning in the merged run, and the verdict is not a pass', async () => {
    for (const d of dirs) expect(RunResult.parse(JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8'))).warnings?.join('\n')).toMatch(/read no content/);
    const out = path.join(ws.dir, 'merged');
    const r = await runCli(['merge', ...dirs, '--policy', policy, '--out', out, '--dry-run']);
    const merged = RunResult.parse(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')));
    expect(merged.warnings?.join('\n')).toMatch(/target "cand" \(candidate\), scenario "s": the stream profile read no content from any of its 60 streams that ended normally/);
    expect(merged.verdict!.status, merged.verdict!.reasons.join('\n')).not.toBe('pass');
    // Every candidate stream ended as an empty answer: the failed-requests guard fails it (exit 1), the warning says why.
    expect(r.code).toBe(1);
  }, 60_000);
});
