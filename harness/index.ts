/** Public API of parity. */
export { defineConfig, type ConfigInput } from './config/schema.ts';
export { loadConfig, resolveConfig, type LoadedConfig } from './config/load.ts';
export { runParity, type RunOptions, type RunOutput } from './run/engine.ts';
export { RunResult, TargetSummary, Percentiles, RUN_SCHEMA_VERSION } from './run/result.ts';
export type { StreamSample, PairedSample, Outcome } from './metrics/sample.ts';
export { OUTCOMES, INTERRUPTIONS } from './metrics/sample.ts';
export { STREAM_PRESETS } from './targets/stream-presets.ts';
export { ParityError, ConfigError, ExitCode } from './errors.ts';
export { definePolicy, type PolicyInput, type GateInput } from './gates/policy.ts';
export { loadPolicy, type LoadedPolicy } from './gates/load.ts';
export { evaluatePolicy } from './gates/evaluate.ts';
export { METRIC_NAMES } from './gates/metrics.ts';
export { rawPlan } from './raw/requests.ts';
export { runRaw, rawRatios, RawResult, type RawOptions } from './raw/run.ts';
export { readPairs } from './run/pairs.ts';
