import { loadConfig } from '../config/load.ts';
import { loadPolicy, type LoadedPolicy } from '../gates/load.ts';
import { renderPlan } from '../reporters/plan.ts';
import { checkGateSeries } from '../gates/server.ts';
import { replayLoaded } from '../sources/replay/source.ts';
import { preparePolicy } from './judge.ts';

export interface ValidateOptions {
  /**
   * Check the config as `parity replay --config` reads it: targets, timeouts, rules and headers;
   * its scenarios, load and flows are not run, so none is required. A route-scoped gate is checked
   * against the capture's endpoints when the replay reads it (the capture is not read here).
   */
  replay?: boolean;
}

/**
 * `parity validate`: everything `parity run` checks before its first request (config, prompt
 * sets, contract flows and schemas, `${ENV}` values, policy and its scopes, hooks), then the plan
 * a run would follow. Opens no socket: a problem throws the same ConfigError a run would (exit 3).
 */
export async function validateRun(file: string, policyRef: string | undefined, env: NodeJS.ProcessEnv, opts: ValidateOptions = {}): Promise<string> {
  const configured = await loadConfig(file, env, { replay: opts.replay });
  // The routes a replay's gates may name are the capture's, known once it is read: taken as given here.
  const routes = opts.replay && policyRef ? [...new Set((await loadPolicy(policyRef, env)).gates.flatMap((g) => (g.route === null ? [] : [g.route])))] : [];
  const replay = opts.replay ? replayLoaded(configured, undefined, routes) : undefined;
  const loaded = replay?.loaded ?? configured;
  const policy: LoadedPolicy | undefined = policyRef ? await preparePolicy(policyRef, loaded, env) : undefined;
  // As `parity run` does before any traffic: a server gate needs a series the config reads.
  if (policy) checkGateSeries(policy, loaded);
  return renderPlan(loaded, policy, replay ? { replay: { maxInFlight: replay.maxInFlight } } : {});
}
