import { setTimeout as sleep } from 'node:timers/promises';
import { DRIFT_NAMES, type ContractDrifts } from '../../fixtures/backends/contract-backend.ts';
import { forkFixtures } from '../../fixtures/backends/fork.ts';
import { UsageError } from '../errors.ts';
import type { Command } from './command.ts';
import { executeRun } from '../pipeline/run.ts';
import { RUN_HELP, RUN_OPTIONS, runOptionsFrom } from './run.ts';

/**
 * `parity serve-fixtures [--drift a,b] [--run <config>]`: starts the contract fixture backends (a
 * baseline and a candidate carrying the chosen drifts) on ephemeral 127.0.0.1 ports. With --run,
 * runs that config against them (URLs in ${BASELINE_URL} / ${CANDIDATE_URL}) and exits with its
 * code; without it, prints the URLs and serves until Ctrl-C.
 */
export const serveFixturesCommand: Command = {
  usage: 'serve-fixtures [--drift name,...] [--run config]',
  summary: 'start the contract fixture backends (optionally with drift) and run a config against them',
  options: { ...RUN_OPTIONS, drift: { type: 'string' }, run: { type: 'string' } },
  help: {
    ...RUN_HELP,
    drift: { description: `drifts the candidate fixture carries, comma-separated (${DRIFT_NAMES.join(', ')})`, default: 'none', example: `--drift ${DRIFT_NAMES.slice(0, 2).join(',')}` },
    run: { description: 'run this config against the fixtures (URLs in ${BASELINE_URL}, ${CANDIDATE_URL}) and exit with its code', default: 'none: print the URLs and serve until Ctrl-C', example: '--run scenarios/contracts/lots.config.yaml' },
  },
  examples: ['parity serve-fixtures --run scenarios/contracts/lots.config.yaml'],
  async execute({ values }, io) {
    const drifts: ContractDrifts = {};
    for (const name of ((values.drift as string | undefined) ?? '').split(',').filter(Boolean)) {
      if (!(DRIFT_NAMES as readonly string[]).includes(name)) throw new UsageError(`unknown drift "${name}"; the drifts are: ${DRIFT_NAMES.join(', ')}`);
      drifts[name as keyof ContractDrifts] = true;
    }
    // In a process of their own: the backends' work never shares the harness's event loop.
    const fixtures = await forkFixtures('serve-contract.ts', [{}, { drifts }]);
    const [baseline, candidate] = [{ url: fixtures.urls[0]! }, { url: fixtures.urls[1]! }];
    const active = Object.keys(drifts);
    io.stdout.write(`baseline:  ${baseline.url}\ncandidate: ${candidate.url}${active.length ? ` (drift: ${active.join(', ')})` : ''}\n`);
    try {
      const config = values.run as string | undefined;
      if (config) return await executeRun(config, { ...runOptionsFrom(values), env: { ...io.env, BASELINE_URL: baseline.url, CANDIDATE_URL: candidate.url } }, io);
      io.stdout.write(`\nexport BASELINE_URL=${baseline.url} CANDIDATE_URL=${candidate.url}\nserving until Ctrl-C\n`);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await sleep(2 ** 31 - 1, undefined, { signal: stop.signal }).catch(() => undefined);
      return 0;
    } finally {
      await fixtures.close();
    }
  },
};
