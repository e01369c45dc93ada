import type { ContractFixtureOptions, ServedRequest } from '../../fixtures/backends/contract-backend.ts';
import { forkFixtures } from './fixture-process.ts';

export interface ContractProcess {
  urls: string[];
  /** Fixture i's served-requests log (server-side timings). */
  served(i: number): Promise<ServedRequest[]>;
  close(): Promise<void>;
}

/** Contract fixtures (the lots API, with per-route knobs) in one child process: their own event loop. */
export function startContractProcess(opts: ContractFixtureOptions[]): Promise<ContractProcess> {
  return forkFixtures<ServedRequest>('fixtures/backends/serve-contract.ts', opts);
}
