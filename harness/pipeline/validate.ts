import { loadConfig } from '../config/load.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import { renderPlan } from '../reporters/plan.ts';
import { checkGateSeries } from '../gates/server.ts';
import { preparePolicy } from './judge.ts';

/**
 * `parity validate`: everything `parity run` checks before its first request (config, prompt
 * sets, contract flows and schemas, `${ENV}` values, policy and its scopes, hooks), then the plan
 * a run would follow. Opens no socket: a problem throws the same ConfigError a run would (exit 3).
 */
export async function validateRun(file: string, policyRef: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const loaded = await loadConfig(file, env);
  const policy: LoadedPolicy | undefined = policyRef ? await preparePolicy(policyRef, loaded, env) : undefined;
  // As `parity run` does before any traffic: a server gate needs a series the config reads.
  if (policy) checkGateSeries(policy, loaded);
  return renderPlan(loaded, policy);
}
