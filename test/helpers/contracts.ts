import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startContractFixture, type ContractDrifts, type ContractFixture } from '../../fixtures/backends/contract-backend.ts';
import type { ConfigInput } from '../../harness/config/schema.ts';
import type { ContractStepSummary } from '../../harness/run/result.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PACK = path.join(ROOT, 'scenarios/contracts/lots.config.yaml');

/** The shipped example pack as a config object, to adjust per test. */
type PackContracts = NonNullable<ConfigInput['contracts']> & { flows: NonNullable<NonNullable<ConfigInput['contracts']>['flows']> };
export function packConfig(): ConfigInput & { contracts: PackContracts } {
  return parseYaml(readFileSync(PACK, 'utf8')) as ConfigInput & { contracts: PackContracts };
}

export interface FixturePair {
  baseline: ContractFixture;
  candidate: ContractFixture;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A clean baseline and a candidate with the given drifts, on 127.0.0.1 port 0. */
export async function startPair(drifts: ContractDrifts = {}): Promise<FixturePair> {
  const baseline = await startContractFixture();
  const candidate = await startContractFixture({ drifts });
  return {
    baseline,
    candidate,
    env: { BASELINE_URL: baseline.url, CANDIDATE_URL: candidate.url },
    close: async () => {
      await Promise.all([baseline.close(), candidate.close()]);
    },
  };
}

/** "step pointer kind" for every drift in a run, sorted: what a test compares with the drift it injected. */
export function driftList(steps: readonly { scenario: string; step: string; drift: readonly { pointer: string; kind: string }[] }[]): string[] {
  return steps.flatMap((s) => s.drift.map((d) => `${s.scenario}/${s.step} ${d.pointer} ${d.kind}`)).sort();
}

/** A baseline and a candidate at $BASELINE_URL and $CANDIDATE_URL, no routes: for configs written in a test. */
export function envTargets(baseline = 'old', candidate = 'new'): ConfigInput['targets'] {
  return [
    { name: baseline, role: 'baseline', baseUrl: '${BASELINE_URL}', routes: {} },
    { name: candidate, role: 'candidate', baseUrl: '${CANDIDATE_URL}', routes: {} },
  ];
}

/** Authorization with the token captured at login. */
export const AUTH = { authorization: 'Bearer {{token}}' };

/** A contract step summary under load as a shard writes it (ten identical pairs on `lots / get_lot`), with overrides. */
export function loadStep(over: Partial<ContractStepSummary> = {}): ContractStepSummary {
  return {
    scenario: 'lots',
    step: 'get_lot',
    pairs: 10,
    identical: 10,
    drifted: 0,
    drift: [],
    classes: { breaking: 0, additive: 0, value: 0 },
    noise: [],
    assertionFailures: { baseline: 0, candidate: 0 },
    artifact: null,
    curl: null,
    underLoad: true,
    ...over,
  };
}
