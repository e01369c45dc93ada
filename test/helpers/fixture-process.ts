import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatFixtureOptions, ServedStream } from '../../fixtures/backends/chat-backend.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
export async function forkFixtures<T>(script: string, opts: unknown[]): Promise<{ urls: string[]; served(i: number): Promise<T[]>; close(): Promise<void> }> {
  const child: ChildProcess = fork(path.join(ROOT, script), [JSON.stringify(opts)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const urls = await new Promise<string[]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fixture process exited with ${code}`)));
    child.on('message', (m: { type: string; urls?: string[] }) => {
      if (m.type === 'ready') resolve(m.urls!);
    });
  });
  const served = (i: number) =>
    new Promise<T[]>((resolve) => {
      const on = (m: { type: string; i?: number; served?: T[] }) => {
        if (m.type === 'served' && m.i === i) {
          child.off('message', on);
          resolve(m.served!);
        }
      };
      child.on('message', on);
      child.send({ type: 'served', i });
    });
  return {
    urls,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.send({ type: 'close' });
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
