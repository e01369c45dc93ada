import type { RouteConfig, ScenarioConfig, StreamProfileConfig, TargetConfig } from './schema.ts';
import type { Prompt } from './prompts.ts';

/** A target ready to receive traffic: env substituted, stream profile resolved. */
export interface ResolvedTarget extends Omit<TargetConfig, 'stream'> {
  stream: StreamProfileConfig;
  routes: Record<string, RouteConfig>;
}

/** A scenario with its prompt set read. */
export interface ResolvedScenario extends Omit<ScenarioConfig, 'prompts'> {
  promptsFile: string;
  prompts: Prompt[];
}
