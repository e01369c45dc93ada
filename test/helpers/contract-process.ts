import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContractFixtureOptions, ServedRequest } from '../../fixtures/backends/contract-backend.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ContractProcess {
  urls: string[];
  /** Fixture i's served-requests log (server-side timings). */
  served(i: number): Promise<ServedRequest[]>;
  close(): Promise<void>;
}

/** Contract fixtures (the lots API, with per-route knobs) in one child process: their own event loop. */
export async function startContractProcess(opts: ContractFixtureOptions[]): Promise<ContractProcess> {
  const child: ChildProcess = fork(path.join(ROOT, 'fixtures/backends/serve-contract.ts'), [JSON.stringify(opts)], {
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
  return {
    urls,
    served: (i) =>
      new Promise<ServedRequest[]>((resolve) => {
        const on = (m: { type: string; i?: number; served?: ServedRequest[] }) => {
          if (m.type === 'served' && m.i === i) {
            child.off('message', on);
            resolve(m.served!);
          }
        };
        child.on('message', on);
        child.send({ type: 'served', i });
      }),
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
