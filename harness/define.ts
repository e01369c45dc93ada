/**
 * What a config or policy file imports: `import { defineConfig, definePolicy } from 'parity'`.
 * Identity functions that exist for types, with nothing else imported at run time, so loading a
 * config never loads a second copy of the harness (undici twice gives `TypeError: Illegal
 * constructor`). parity resolves the name 'parity' to this file for every config and policy it
 * loads, wherever the file lives (see config/self-resolve.ts).
 */
import type { ConfigInput } from './config/schema.ts';
import type { GateInput, PolicyInput } from './gates/policy.ts';

export type { ConfigInput, GateInput, PolicyInput };

/** `export default defineConfig({ ... })` in parity.config.ts: returns the config as given, typed. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}

/** `export default definePolicy({ gates: [...] })`: returns the policy as given, typed. */
export function definePolicy(policy: PolicyInput): PolicyInput {
  return policy;
}
