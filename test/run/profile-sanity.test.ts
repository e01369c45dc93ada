import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../harness/run/result.ts';
import { runCli } from '../helpers/cli.ts';
import { streamConfig, tempWorkspace } from '../helpers/config.ts';
import { startFixtureProcess, type FixtureProcess } from '../helpers/fixture-process.ts';

/**
 * Issue 11, point 9: a stream profile that reads nothing must not pass silently. Both fixtures
 * speak OpenAI-style chunks ending in [DONE]; a plausible wrong candidate profile (content and
 * citations at paths the stream does not have) still sees every stream complete.
 */
describe('profile sanity', () => {
  let proc: FixtureProcess;
  const ws = tempWorkspace([{ text: 'what does the handbook say?', expectsCitations: true }]);
  let policy: string;
  beforeAll(async () => {
    proc = await startFixtureProcess([
      { framing: 'openai', streamPath: '/chat/stream', tokens: 3 },
      { framing: 'openai', streamPath: '/chat/stream', tokens: 3 },
    ]);
    policy = path.join(ws.dir, 'policy.yaml');
    writeFileSync(policy, 'minSamples: 20\ngates:\n  - { metric: completion.p95, threshold: "<= 3x baseline or <= baseline + 50ms" }\n');
  });
  afterAll(async () => {
    await proc?.close();
  });

  type Stream = Parameters<typeof streamConfig>[0]['candidateStream'];
  const wrong: Stream = { preset: 'openai', content: { path: 'choices[0].delta.text' }, citations: { path: 'meta.sources' } };

  function configFor(name: string, candidateStream: Stream): string {
    const config = path.join(ws.dir, `${name}.config.json`);
    const cfg = streamConfig({
      baselineUrl: proc.fixtures[0]!.url,
      candidateUrl: proc.fixtures[1]!.url,
      promptsFile: ws.promptsFile,
      baselineStream: 'openai',
      candidateStream,
      baselinePath: '/chat/stream',
      candidatePath: '/chat/stream',
      load: { vus: 4, iterations: 40 },
    });
    writeFileSync(config, JSON.stringify(cfg));
    return config;
  }

  async function run(runId: string, candidateStream: Stream) {
    const config = configFor(runId, candidateStream);
    const r = await runCli(['run', config, '--policy', policy, '--out', ws.out, '--run-id', runId, '--quiet']);
    const dir = path.join(ws.out, runId);
    return { ...r, run: JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunResult, md: readFileSync(path.join(dir, 'summary.md'), 'utf8'), html: readFileSync(path.join(dir, 'report.html'), 'utf8') };
  }

  it('the right profile: no warning, and the policy can pass', async () => {
    const r = await run('right-profile', 'openai');
    expect(r.run.warnings).toBeUndefined();
    expect(r.run.verdict!.gates.map((g) => g.status)).toEqual(['pass', 'pass']);
    expect(r.run.verdict!.reasons.join('\n')).not.toMatch(/not understood/);
    // Pass, unless the shared machine was too busy for the harness to take timestamps on time.
    expect(r.code === 0 || (r.code === 2 && Boolean(r.run.harness?.warnings.length)), r.stdout).toBe(true);
  });

  it('a profile that reads no content and no citations: warned by target and field everywhere, and no pass', async () => {
    const r = await run('wrong-profile', wrong);
    // Every stream ends as an empty answer: the [DONE] terminal is read, nothing else is.
    expect(r.run.summaries[0]!.candidate.outcomes.empty).toBe(40);
    expect(r.run.summaries[0]!.candidate.outcomes.complete).toBe(0);
    // No stream completed, so no completed stream expected citations: the content warning is the one said.
    expect(r.run.warnings).toHaveLength(1);
    expect(r.run.warnings![0]).toMatch(/^target "cand" \(candidate\), scenario "s": the stream profile read no content from any of its 40 streams that ended normally \(field: content\)/);
    expect(r.stdout).toMatch(/WARNING: target "cand" \(candidate\), scenario "s": the stream profile read no content/);
    expect(r.md).toMatch(/> \*\*Warning:\*\* target "cand" \(candidate\), scenario "s": the stream profile read no content/);
    expect(r.html).toMatch(/<b>Warning:<\/b> target &quot;cand&quot; \(candidate\)/);
    // The latency gate alone has nothing to judge; the empty answers fail the failed-requests guard
    // (what a client reading this profile would show its users), and the warning says why.
    expect(r.run.verdict!.status).toBe('fail');
    expect(r.run.verdict!.reasons[0]).toMatch(/^FAIL failed-requests: candidate − baseline \+100 pp/);
    expect(r.run.verdict!.reasons.join('\n')).toMatch(/field: content.*streams that were not understood cannot pass/);
    expect(r.code).toBe(1);
  });

  it('parity run --check-profile tries each profile against one live stream', async () => {
    const ok = await runCli(['run', configFor('check-right', 'openai'), '--check-profile']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^cand \(candidate\): complete, HTTP 200; \d+ events, 3 with content \(\d+ chars\), [1-9]\d* citations \(prompt expects citations\)$/m);
    expect(ok.stdout).toMatch(/profiles read both streams/);
    const bad = await runCli(['run', configFor('check-wrong', wrong), '--check-profile']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^base \(baseline\): complete/m);
    expect(bad.stdout).toMatch(/^cand \(candidate\): empty, HTTP 200; \d+ events, 0 with content \(0 chars\), 0 citations/m);
    expect(bad.stdout).toMatch(/✖ content: \d+ events, none with content text/);
    expect(bad.stdout).toMatch(/✖ citations: the prompt expects citations and none were read/);
    expect(bad.stderr).toMatch(/^parity: PARITY_PROFILE_MISMATCH\n.*target "cand" \(content, citations\) did not read its stream/m);
    // Nothing was run: no run folder.
    expect(existsSync(path.join(ws.out, 'check-wrong'))).toBe(false);
  });
});
