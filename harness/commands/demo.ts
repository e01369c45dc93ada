import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatFixtureOptions } from '../../fixtures/backends/chat-backend.ts';
import { forkFixtures } from '../../fixtures/backends/fork.ts';
import type { CliIO, Command } from './command.ts';
import { ExitCode } from '../errors.ts';
import { executeRun, type RunCommandOptions } from '../pipeline/run.ts';
import { RUN_HELP, RUN_OPTIONS, runOptionsFrom } from './run.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_CONFIG = path.join(ROOT, 'scenarios', 'demo.config.ts');
export const DEMO_POLICY = path.join(ROOT, 'scenarios', 'policies', 'examples', 'demo-stage-b.yaml');

/**
 * `parity demo`: starts two fixture backends on ephemeral 127.0.0.1 ports, shaped like seed 000's
 * migration (Python `POST /chat-stream` with named events vs Node `POST /chat/stream` with
 * OpenAI-style chunks, the candidate a little slower and a little less reliable), and runs
 * `scenarios/demo.config.ts` against them, the URLs passed through ${BASELINE_URL}/${CANDIDATE_URL},
 * judged by seed 000's Stage B policy with its hooks as a dry run. The demo shows a verdict; it does
 * not gate anything, so it exits 0 whatever the verdict and says what a real run would exit with.
 */
export const demoCommand: Command = {
  usage: 'demo [--policy p] [--out dir] [--quiet]',
  summary: 'start the built-in fixture backends and run a real paired check',
  options: RUN_OPTIONS,
  help: { ...RUN_HELP, policy: { ...RUN_HELP.policy, default: 'the demo Stage B policy, hooks as a dry run' } },
  examples: ['parity demo', 'parity demo --out /tmp/parity-demo --quiet'],
  execute: ({ values }, io) => runDemo(runOptionsFrom(values), io),
};

export async function runDemo(opts: RunCommandOptions, io: CliIO): Promise<number> {
  const options: ChatFixtureOptions[] = [
    {
      framing: 'named-events',
      streamPath: '/chat-stream',
      healthPaths: ['/health'],
      seed: 7,
      tokens: 12,
      firstContentDelayMs: 40,
      interEventGapMs: 8,
      faults: { reset: 0.01, citationDrop: 0.02 },
    },
    {
      framing: 'openai',
      streamPath: '/chat/stream',
      healthPaths: ['/health', '/infra/health'],
      seed: 8,
      tokens: 12,
      firstContentDelayMs: 55,
      interEventGapMs: 9,
      faults: { reset: 0.02, stall: 0.01, errorEvent: 0.01, citationDrop: 0.05 },
    },
  ];
  // In a process of their own: the backends' work never shares the harness's event loop.
  const fixtures = await forkFixtures('serve.ts', options);
  const [baseline, candidate] = [{ url: fixtures.urls[0]! }, { url: fixtures.urls[1]! }];
  io.stdout.write(`demo: baseline (named events) at ${baseline.url}/chat-stream, candidate (OpenAI chunks) at ${candidate.url}/chat/stream\n`);
  try {
    const policy = opts.policy ?? DEMO_POLICY;
    const dryRun = opts.policy ? opts.dryRun : true;
    const code = await executeRun(DEMO_CONFIG, { ...opts, policy, dryRun, env: { ...io.env, BASELINE_URL: baseline.url, CANDIDATE_URL: candidate.url } }, io);
    if (code === ExitCode.error) return code;
    const meaning = { [ExitCode.pass]: 'pass: promote', [ExitCode.fail]: 'fail: roll back', [ExitCode.inconclusive]: 'inconclusive: hold' }[code] ?? String(code);
    io.stdout.write(`\ndemo: a real \`parity run --policy\` would exit ${code} (${meaning}); open the report.html above in a browser.\n`);
    return ExitCode.pass;
  } finally {
    await fixtures.close();
  }
}
