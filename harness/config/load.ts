import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ParityError, type ConfigIssue } from '../errors.ts';
import { Config, StreamProfile, type ParsedConfig, type StreamProfileConfig, type TargetConfig } from './schema.ts';
import { compileFlowScenarios, type AnyResolvedScenario, type ResolvedFlowScenario } from './flow-scenarios.ts';
import { fromZodIssues } from './issues.ts';
import { substituteEnv } from './env.ts';
import { readPromptSet } from './prompts.ts';
import { STREAM_PRESETS } from '../targets/stream-presets.ts';
import { compileContracts, type ContractPlan } from '../contracts/compile.ts';

import type { ResolvedScenario, ResolvedTarget } from './resolved.ts';

export type { ResolvedScenario, ResolvedTarget } from './resolved.ts';
export type { AnyResolvedScenario, ResolvedFlowScenario } from './flow-scenarios.ts';

export interface LoadedConfig {
  /** The config file, as given. */
  file: string;
  /** The parsed config before env substitution: safe to echo (plus header redaction). */
  config: ParsedConfig;
  baseline: ResolvedTarget;
  candidate: ResolvedTarget;
  /** Stream, request and flow scenarios, in config order. */
  scenarios: AnyResolvedScenario[];
  /** Contract flows, checked and compiled (when the config has a `contracts` section). */
  contracts?: ContractPlan;
  /** Substituted values that may be secret; every output scrubs them. */
  secrets: string[];
  /** The environment the config was resolved with (worker threads compile request and flow scenarios again with it). Never written out. */
  env?: NodeJS.ProcessEnv;
}

/** Reads a config file (.ts/.mts/.js/.mjs via default export, .json, .yaml/.yml). */
export async function readConfigFile(file: string): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  if (['.ts', '.mts', '.cts', '.js', '.mjs'].includes(ext)) {
    try {
      const url = pathToFileURL(path.resolve(file)).href;
      const mod = (ext === '.js' || ext === '.mjs'
        ? await import(url)
        : await (await import('tsx/esm/api')).tsImport(url, import.meta.url)) as { default?: unknown };
      // A .ts file outside an ESM package is compiled as CommonJS: its default export arrives wrapped once more.
      const value = mod.default as { default?: unknown; __esModule?: boolean } | undefined;
      return value && typeof value === 'object' && value.__esModule && 'default' in value ? value.default : value;
    } catch (err) {
      throw new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: cannot load config module: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: unknown config format "${ext}"; use .ts, .js, .json, .yaml or .yml`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: cannot read config file (${(err as NodeJS.ErrnoException).code}); check the path`);
  }
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}` }]);
  }
}

/** Validates a raw config value; throws ConfigError with every issue at once. No traffic is ever sent before this returns. */
export async function resolveConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const parsed = Config.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(file, fromZodIssues(parsed.error.issues));
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  const secrets: string[] = [];
  const baseDir = path.dirname(path.resolve(file));

  const targets = config.targets.map((t, i): ResolvedTarget => {
    const at = `targets[${i}]`;
    const base = substituteEnv(t.baseUrl, env);
    for (const name of base.missing) issues.push({ path: `${at}.baseUrl`, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
    if (!base.missing.length && !URL.canParse(base.value)) issues.push({ path: `${at}.baseUrl`, message: `"${base.value}" is not a URL; expected e.g. "http://127.0.0.1:8000"` });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.headers)) {
      const s = substituteEnv(v, env);
      for (const name of s.missing) issues.push({ path: `${at}.headers.${k}`, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
      if (s.usedEnv && s.value.length >= 4) secrets.push(s.value);
      headers[k.toLowerCase()] = s.value;
    }
    return { ...t, baseUrl: base.value.replace(/\/+$/, ''), headers, stream: resolveStream(t.stream, `${at}.stream`, issues) };
  });

  const baseline = targets.find((t) => t.role === 'baseline')!;
  const candidate = targets.find((t) => t.role === 'candidate')!;
  const flows = compileFlowScenarios(config, { baseline, candidate }, env, issues, secrets);
  const scenarios: AnyResolvedScenario[] = [];
  for (const [i, s] of config.scenarios.entries()) {
    if (s.type !== 'stream') {
      scenarios.push(flows.get(i)!);
      continue;
    }
    const promptsFile = path.resolve(baseDir, s.prompts);
    const set = await readPromptSet(promptsFile, `scenarios[${i}].prompts`);
    if (!set.ok) issues.push(...set.issues);
    const { prompts: _file, ...rest } = s;
    scenarios.push({ ...rest, promptsFile, prompts: set.ok ? set.prompts : [] });
  }

  const contracts = config.contracts ? compileContracts(config.contracts, { baseline, candidate }, env, issues, secrets) : undefined;

  if (issues.length) throw new ConfigError(file, issues);
  const loaded: LoadedConfig = { file, config, baseline, candidate, scenarios, secrets };
  if (flows.size) loaded.env = { ...env };
  if (contracts) loaded.contracts = contracts;
  return loaded;
}

function resolveStream(setting: TargetConfig['stream'], at: string, issues: ConfigIssue[]): StreamProfileConfig {
  const merged = typeof setting === 'string' ? STREAM_PRESETS[setting] : { ...(setting.preset ? STREAM_PRESETS[setting.preset] : {}), ...withoutPreset(setting) };
  const parsed = StreamProfile.safeParse(merged);
  if (parsed.success) return parsed.data;
  for (const iss of fromZodIssues(parsed.error.issues)) {
    issues.push({ path: iss.path ? `${at}.${iss.path}` : at, message: `${iss.message} (name a preset with "preset": "openai" | "named-events" | "typed-json", or give the full profile)` });
  }
  return StreamProfile.parse(STREAM_PRESETS.openai);
}

function withoutPreset<T extends { preset?: unknown }>(s: T): Omit<T, 'preset'> {
  const { preset: _p, ...rest } = s;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<T, 'preset'>;
}

/** The stream scenarios of a config (raw mode and the stream planner read these). */
export function streamScenarios(loaded: Pick<LoadedConfig, 'scenarios'>): ResolvedScenario[] {
  return loaded.scenarios.filter((s): s is ResolvedScenario => s.type === 'stream');
}

/** The request and flow scenarios of a config. */
export function flowScenarios(loaded: Pick<LoadedConfig, 'scenarios'>): ResolvedFlowScenario[] {
  return loaded.scenarios.filter((s): s is ResolvedFlowScenario => s.type !== 'stream');
}

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  return resolveConfig(await readConfigFile(file), file, env);
}

const SENSITIVE_HEADER = /authorization|cookie|token|secret|key|password|session/i;

/** The config as written (templates, not values), with literal values of sensitive headers redacted. */
export function redactedConfig(loaded: LoadedConfig): unknown {
  const c = loaded.config;
  return {
    ...c,
    targets: c.targets.map((t) => ({
      ...t,
      headers: Object.fromEntries(Object.entries(t.headers).map(([k, v]) => [k, v.includes('${') ? v : SENSITIVE_HEADER.test(k) ? '[redacted]' : v])),
    })),
    ...(c.contracts ? { contracts: JSON.parse(JSON.stringify(c.contracts, (_k, v: unknown) => (v && typeof v === 'object' && '~standard' in v ? '[schema object]' : v))) as unknown } : {}),
  };
}
