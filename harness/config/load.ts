import { checkStreamPlaceholders, checkStreamRoute } from './stream-placeholders.ts';
import { watchLoad } from './load-watchdog.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, ParityError, type ConfigIssue } from '../errors.ts';
import { checkWhatRuns, Config, StreamProfile, type ParsedConfig, type StreamProfileConfig, type TargetConfig } from './schema.ts';
import { compileFlowScenarios, type AnyResolvedScenario, type ResolvedFlowScenario } from './flow-scenarios.ts';
import { fromZodIssues } from './issues.ts';
import { substituteEnv } from './env.ts';
import { duplicateJsonKeys, parseYamlConfig } from './yaml.ts';
import { envInLiteralRoute, envInPaths, literalRoute, scenarioBody, usesPrompt } from './paths-env.ts';
import { resolveBaseUrl } from './base-url.ts';
import { checkLimits, LIMITS } from './limits.ts';
import { checkLoadPlan } from './load-checks.ts';
import { checkConfigPath, checkHeaderCase, checkHeaderName, checkHeaderValue, checkRequestIdHeader, truncateForMessage } from './sendable.ts';
import { REDACTED, SENSITIVE_HEADER, redactUserinfo } from '../secrets/scrubber.ts';
import { readPromptSet } from './prompts.ts';
import { STREAM_PRESETS } from '../targets/stream-presets.ts';
import { compileContracts, type ContractPlan } from '../contracts/compile.ts';
import { resolveParityForConfigs } from './self-resolve.ts';

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

/** How long a TS/JS config module may take to load (its top-level awaits included); `PARITY_CONFIG_LOAD_TIMEOUT` (ms) overrides. */
export const CONFIG_LOAD_TIMEOUT_MS = 15_000;

/** Reads a config file (.ts/.mts/.js/.mjs via default export, .json, .yaml/.yml). */
export async function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  if (['.ts', '.mts', '.cts', '.js', '.mjs'].includes(ext)) {
    resolveParityForConfigs();
    const timeoutMs = Number(env.PARITY_CONFIG_LOAD_TIMEOUT) > 0 ? Number(env.PARITY_CONFIG_LOAD_TIMEOUT) : CONFIG_LOAD_TIMEOUT_MS;
    // A module that blocks the main thread (a synchronous loop) is stopped by the watchdog, and then times out like any other.
    const loaded = watchLoad(timeoutMs);
    // A module that calls process.exit while it loads would end parity with an exit code a pipeline reads as a verdict (0 pass, 1 fail).
    const exit = process.exit;
    process.exit = ((code?: number | string | null) => {
      throw new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: the config module called process.exit(${code ?? ''}) while loading; a config must not end parity (its exit code would read as a verdict): throw an Error instead, or give the value a default`);
    }) as typeof process.exit;
    try {
      const url = pathToFileURL(path.resolve(file)).href;
      const loading = ext === '.js' || ext === '.mjs' ? import(url) : import('tsx/esm/api').then((api) => api.tsImport(url, import.meta.url));
      const mod = (await withTimeout(loading, timeoutMs, file).finally(loaded)) as { default?: unknown };
      // A .ts file outside an ESM package is compiled as CommonJS: its default export arrives wrapped once more.
      const value = mod.default as { default?: unknown; __esModule?: boolean } | undefined;
      return value && typeof value === 'object' && value.__esModule && 'default' in value ? value.default : value;
    } catch (err) {
      if (err instanceof ParityError) throw err;
      throw new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: cannot load config module: ${truncateForMessage(String((err as Error)?.message ?? err), 500)}${moduleErrorFix(err as Error)}`, { cause: err });
    } finally {
      process.exit = exit;
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
  if (ext !== '.json') return parseYamlConfig(text, file);
  // A byte order mark (editors on Windows write one) is no JSON: ignored, as the YAML reader does.
  const json = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const duplicates = duplicateJsonKeys(json, file);
  if (duplicates.length) throw new ConfigError(file, duplicates);
  return value;
}

/**
 * Header values with `${ENV}` substituted (an unset variable is an issue at its field), checked for
 * what can be sent; a value from the environment (whole, and each variable's part) or of a header
 * whose name looks sensitive is a secret. Targets' and scenarios' headers alike, keyed in lower
 * case; two spellings of one name, or the request id header parity sets itself, are issues.
 */
function envHeaders(given: Record<string, string>, at: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], secrets: string[], requestIdHeader: string): Record<string, string> {
  const headers: Record<string, string> = {};
  checkHeaderCase(Object.keys(given), at, issues);
  checkRequestIdHeader(Object.keys(given), requestIdHeader, at, issues);
  for (const [k, v] of Object.entries(given)) {
    const s = substituteEnv(v, env);
    for (const name of s.missing) issues.push({ path: `${at}.${k}`, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
    if (s.usedEnv) secrets.push(s.value, ...s.values);
    else if (SENSITIVE_HEADER.test(k)) secrets.push(s.value);
    checkHeaderName(k, `${at}.${k}`, issues);
    if (!s.missing.length) checkHeaderValue(s.value, `${at}.${k}`, issues, s.usedEnv);
    // Lower case, as sent: a scenario's header replaces the target's of the same name (as a contract step's does), never goes out beside it.
    headers[k.toLowerCase()] = s.value;
  }
  return headers;
}

/** What to do about a config module that would not load, for the errors users meet. */
function moduleErrorFix(err: Error): string {
  const m = err.message ?? '';
  if (/Illegal constructor/.test(m)) return "\n  fix: import { defineConfig } from 'parity' rather than parity's harness/index.ts by path (that loads a second copy of the harness and its HTTP client); parity resolves 'parity' for every config it loads";
  if (/Cannot find (module|package) 'parity'/.test(m)) return "\n  fix: run the config with the parity command (it resolves 'parity' itself); for your editor's types, npm install parity beside the config (or add a paths entry to tsconfig.json)";
  if (/does not provide an export named|is not a function/.test(m)) return "\n  fix: a config can import defineConfig and definePolicy from 'parity' (and types with import type); import other parts of parity in your own scripts, not in a config";
  return '';
}

/** `replay`: the config serves a replay, which runs none of its scenarios, load or flows (checkWhatRuns). */
export interface LoadOptions {
  replay?: boolean;
}

/** Validates a raw config value; throws ConfigError with every issue at once. No traffic is ever sent before this returns. */
export async function resolveConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const parsed = Config.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(file, fromZodIssues(parsed.error.issues));
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  if (!opts.replay) checkWhatRuns(config, issues);
  checkLimits(config, issues);
  checkLoadPlan(config, issues, LIMITS.vus.max);
  checkHeaderName(config.requestIdHeader, 'requestIdHeader', issues);
  const secrets: string[] = [];
  const baseDir = path.dirname(path.resolve(file));

  const targets = config.targets.map((t, i): ResolvedTarget => {
    const at = `targets[${i}]`;
    const base = resolveBaseUrl(t.baseUrl, `${at}.baseUrl`, env, Object.keys(t.headers), issues);
    secrets.push(...base.secrets);
    const headers = envHeaders(t.headers, `${at}.headers`, env, issues, secrets, config.requestIdHeader);
    const { routes, health } = envInPaths(t, at, env, issues, secrets);
    for (const s of config.scenarios) {
      if (s.type !== 'stream') continue; // request and flow routes are resolved by their own compiler
      const literal = literalRoute(s.route);
      if (literal && !Object.hasOwn(routes, s.route)) routes[s.route] = envInLiteralRoute(literal, `scenarios[${config.scenarios.indexOf(s)}].route`, env, issues, secrets);
    }
    // Checked as they will be sent: after ${VAR} substitution.
    for (const [name, r] of Object.entries(routes)) checkConfigPath(r.path, `${at}.routes.${name}`, issues, true);
    health.forEach((h, hi) => checkConfigPath(h.path, `${at}.health[${hi}]`, issues));
    if (base.authorization) headers.authorization = base.authorization;
    return { ...t, routes, health, baseUrl: base.url, headers, stream: resolveStream(t.stream, `${at}.stream`, issues) };
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
    checkStreamPlaceholders(s, i, issues);
    // The route's path on each target (a literal route's once, the same on both).
    const literal = literalRoute(s.route) !== undefined;
    const routePaths = literal ? [[targets[0]!.routes[s.route]?.path ?? '', `scenarios[${i}].route`] as const] : targets.flatMap((t, ti) => (Object.hasOwn(t.routes, s.route) ? [[t.routes[s.route]!.path, `targets[${ti}].routes.${s.route}`] as const] : []));
    checkStreamRoute(s, routePaths, issues);
    // `${ENV}` in a scenario's header values, as in a target's: substituted, required, and a secret.
    const headers = envHeaders(s.headers, `scenarios[${i}].headers`, env, issues, secrets, config.requestIdHeader);
    const { prompts: _file, ...rest } = { ...s, headers };
    const body = scenarioBody(s.body, `scenarios[${i}].body`, env, issues, secrets);
    if (s.prompts === undefined) {
      // No prompt set: one empty prompt, allowed only when the body does not ask for {{prompt}}.
      if (usesPrompt(body)) issues.push({ path: `scenarios[${i}].prompts`, message: 'the body uses {{prompt}} (the default body does): give a prompt set (prompts: prompts.jsonl) or a body without {{prompt}}' });
      scenarios.push({ ...rest, body, promptsFile: '(none)', prompts: [{ text: '', expectsCitations: false }] });
      continue;
    }
    const promptsFile = path.resolve(baseDir, s.prompts);
    const set = await readPromptSet(promptsFile, `scenarios[${i}].prompts`);
    if (!set.ok) issues.push(...set.issues);
    scenarios.push({ ...rest, body, promptsFile, prompts: set.ok ? set.prompts : [] });
  }

  const contracts = config.contracts ? compileContracts(config.contracts, { baseline, candidate }, env, issues, secrets, config.requestIdHeader, baseDir) : undefined;

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

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  return resolveConfig(await readConfigFile(file, env), file, env, opts);
}

/** A module that never finishes loading (a top-level await on nothing) is an error, not a hang. */
function withTimeout<T>(p: Promise<T>, ms: number, file: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ParityError('PARITY_CONFIG_UNREADABLE', `${file}: the config module did not finish loading within ${ms} ms (a top-level await that never settles, or a loop that never ends?); make its default export a plain object, or raise PARITY_CONFIG_LOAD_TIMEOUT (ms)`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The config as written (templates, not values), with literal values of sensitive headers redacted. */
export function redactedConfig(loaded: LoadedConfig): unknown {
  const c = loaded.config;
  return {
    ...c,
    targets: c.targets.map((t) => ({
      ...t,
      baseUrl: redactUserinfo(t.baseUrl),
      headers: Object.fromEntries(Object.entries(t.headers).map(([k, v]) => [k, v.includes('${') ? v : SENSITIVE_HEADER.test(k) ? REDACTED : v])),
    })),
    scenarios: c.scenarios.map((s) => ('headers' in s ? { ...s, headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, SENSITIVE_HEADER.test(k) ? REDACTED : v])) } : s)),
    ...(c.contracts ? { contracts: JSON.parse(JSON.stringify(c.contracts, (_k, v: unknown) => (v && typeof v === 'object' && '~standard' in v ? '[schema object]' : v))) as unknown } : {}),
  };
}
