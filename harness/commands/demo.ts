import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChatFixture } from '../../fixtures/backends/chat-backend.ts';
import type { CliIO, Command } from '../cli.ts';
import { executeRun, RUN_OPTIONS, runOptionsFrom, type RunCommandOptions } from './run.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_CONFIG = path.join(ROOT, 'scenarios', 'demo.config.ts');

/**
 * `parity demo`: starts two fixture backends on ephemeral 127.0.0.1 ports, shaped like seed 000's
 * migration (Python `POST /chat-stream` with named events vs Node `POST /chat/stream` with
 * OpenAI-style chunks, the candidate a little slower and a little less reliable), and runs
 * `scenarios/demo.config.ts` against them, the URLs passed through ${BASELINE_URL}/${CANDIDATE_URL}.
 */
export const demoCommand: Command = {
  usage: 'demo [--policy p] [--out dir] [--quiet]',
  summary: 'start the built-in fixture backends and run a real paired check',
  options: RUN_OPTIONS,
  execute: ({ values }, io) => runDemo(runOptionsFrom(values), io),
};

export async function runDemo(opts: RunCommandOptions, io: CliIO): Promise<number> {
  const baseline = await startChatFixture({
    framing: 'named-events',
    streamPath: '/chat-stream',
    healthPaths: ['/health'],
    seed: 7,
    tokens: 12,
    firstContentDelayMs: 40,
    interEventGapMs: 8,
    faults: { reset: 0.01, citationDrop: 0.02 },
  });
  const candidate = await startChatFixture({
    framing: 'openai',
    streamPath: '/chat/stream',
    healthPaths: ['/health', '/infra/health'],
    seed: 8,
    tokens: 12,
    firstContentDelayMs: 55,
    interEventGapMs: 9,
    faults: { reset: 0.02, stall: 0.01, errorEvent: 0.01, citationDrop: 0.05 },
  });
  io.stdout.write(`demo: baseline (named events) at ${baseline.url}/chat-stream, candidate (OpenAI chunks) at ${candidate.url}/chat/stream\n`);
  try {
    return await executeRun(DEMO_CONFIG, { ...opts, env: { ...io.env, BASELINE_URL: baseline.url, CANDIDATE_URL: candidate.url } }, io);
  } finally {
    await Promise.all([baseline.close(), candidate.close()]);
  }
}
