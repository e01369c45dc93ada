import path from 'node:path';
import type { ChatFixtureOptions, ServedStream } from '../../fixtures/backends/chat-backend.ts';
import { forkFixtures as forkFixturesIn, type ForkedFixtures } from '../../fixtures/backends/fork.ts';

export interface FixtureHandle {
  url: string;
  served(): Promise<ServedStream[]>;
}

export interface FixtureProcess {
  fixtures: FixtureHandle[];
  close(): Promise<void>;
}

/**
 * Starts chat fixtures in one child process: its event loop is not the harness's, and on a 2-core
 * machine two processes (harness + fixtures) do not fight over the cores the way three would.
 */
export async function startFixtureProcess(opts: ChatFixtureOptions[]): Promise<FixtureProcess> {
  const p = await forkFixtures<ServedStream>('fixtures/backends/serve.ts', opts);
  return { fixtures: p.urls.map((url, i) => ({ url, served: () => p.served(i) })), close: p.close };
}

/** Fixture servers from `script` (a fixtures/backends entry point speaking ipc.ts) in a child process. */
export function forkFixtures<T>(script: string, opts: unknown[]): Promise<ForkedFixtures<T>> {
  return forkFixturesIn<T>(path.basename(script) as 'serve.ts' | 'serve-contract.ts', opts);
}
