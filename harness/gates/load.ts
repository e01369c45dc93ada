import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '../config/load.ts';
import { fromZodIssues } from '../config/issues.ts';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.ts';
import { resolveHooks, type ResolvedHooks } from '../hooks/resolve.ts';
import { GUARD_DEFAULT, GUARD_ID, GUARD_SOURCE, guardThreshold } from './guard.ts';
import { closestMetric, lookupMetric, METRIC_NAMES, METRICS, SERVER_STATS, type Metric } from './metrics.ts';
import { POLICY_DEFAULTS, PolicySpec, type PolicyParsed } from './policy.ts';
import { goodputMetric, parseSlo, SloError } from './slo.ts';
import { thresholdFor, ThresholdError, type Threshold } from './threshold.ts';
import { backwardsThreshold } from './direction.ts';
import { displayPath } from '../paths.ts';

export const PRESETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios/policies');
const EXTS = ['.yaml', '.yml', '.json', '.ts', '.mts', '.js', '.mjs'];

export interface ResolvedGate {
  id: string;
  description: string;
  metric: Metric;
  threshold: Threshold;
  scenario: string | null;
  route: string | null;
  /** A flow step (with `scenario`). */
  step: string | null;
  /** Only the pairs whose prompt expects citations (the guard of a citation_presence gate). */
  citationPrompts?: boolean;
  /**
   * A guard that decides on evidence only (the implicit guard of every scenario and flow step):
   * it fails when its interval is entirely beyond the margin, however few its pairs; otherwise it
   * passes only over `minSamples` pairs and is `unjudged` below, holding nothing back.
   */
  onEvidence?: boolean;
  minSamples: number;
  severity: 'fail' | 'warn';
  insufficient: 'inconclusive' | 'fail';
  source: string | null;
  /** Where the gate was written, for errors found later (scope checks). */
  at: { file: string; path: string };
}

export interface LoadedPolicy {
  name: string;
  file: string;
  description: string | null;
  confidence: number;
  /** Policy-level default; each gate carries its own resolved value. */
  minSamples: number;
  insufficient: 'inconclusive' | 'fail';
  resamples: number;
  seed: number;
  gates: ResolvedGate[];
  /** The failed-requests guard (guard.ts), judged after `gates` on every policy. */
  guard: ResolvedGate;
  hooks: ResolvedHooks;
  /** Values substituted into hooks from the environment: scrubbed from recorded output. */
  secrets: string[];
  /** Per-request SLOs of `goodput` (policy `slo`), or null. */
  slo: string | null;
}

/** Preset names in scenarios/policies/ (file base names). */
export function listPresets(): string[] {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR)
    .filter((f) => EXTS.includes(path.extname(f)))
    .map((f) => path.basename(f, path.extname(f)))
    .sort();
}

/** `--policy` value → a file: an existing path, else a preset name. */
export function resolvePolicyRef(ref: string, relativeTo = process.cwd()): string {
  const asPath = path.resolve(relativeTo, ref);
  if (existsSync(asPath) && statSync(asPath).isFile()) return asPath;
  for (const ext of EXTS) {
    const preset = path.join(PRESETS_DIR, ref + ext);
    if (existsSync(preset)) return preset;
  }
  throw new UsageError(`no policy file or preset named "${ref}"; give a path, or one of the presets: ${listPresets().join(', ')}`);
}

/** The policy an `extends` names; a missing one is a problem of the policy that names it (file, field, fix). */
function resolveExtends(ref: string, file: string, shown: string): string {
  try {
    return resolvePolicyRef(ref, path.dirname(file));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new ConfigError(shown, [{ path: 'extends', message: `no policy file or preset named "${ref}" (relative to ${path.dirname(shown) || '.'}); give a path, or one of the presets: ${listPresets().join(', ')}` }]);
  }
}

/** Reads, validates and resolves a policy. Every problem is reported at once, before any traffic. */
export async function loadPolicy(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedPolicy> {
  return load(resolvePolicyRef(ref), env, []);
}

async function load(file: string, env: NodeJS.ProcessEnv, chain: string[]): Promise<LoadedPolicy> {
  const shown = displayPath(file);
  if (chain.includes(file)) throw new ConfigError(shown, [{ path: 'extends', message: `policies extend each other in a loop: ${[...chain, file].map((f) => path.basename(f)).join(' → ')}` }]);
  const raw = await readConfigFile(file);
  const parsed = PolicySpec.safeParse(raw);
  if (!parsed.success) throw new ConfigError(shown, fromZodIssues(parsed.error.issues));
  const spec = parsed.data;
  const parent = spec.extends ? await load(resolveExtends(spec.extends, file, shown), env, [...chain, file]) : null;

  const issues: ConfigIssue[] = [];
  const minSamples = spec.minSamples ?? parent?.minSamples ?? POLICY_DEFAULTS.minSamples;
  const insufficient = spec.insufficient ?? parent?.insufficient ?? POLICY_DEFAULTS.insufficient;
  const slo = spec.slo ?? parent?.slo ?? null;
  let sloOk = true;
  if (spec.slo !== undefined) {
    try {
      parseSlo(spec.slo);
    } catch (err) {
      if (!(err instanceof SloError)) throw err;
      issues.push({ path: 'slo', message: err.message });
      sloOk = false;
    }
  }
  const own = resolveGates(spec, shown, minSamples, insufficient, issues, sloOk ? slo : undefined);
  const gates = [...(parent?.gates ?? []), ...own];
  // Only once every gate was read: a misspelt gate must not also be reported as "no gate".
  // A policy of warn gates only is allowed (watch before enforcing): see isWarnOnly.
  if (own.length === spec.gates.length && gates.length === 0) {
    issues.push({ path: 'gates', message: 'a policy needs at least one gate, e.g. - { metric: error_rate, threshold: "<= 1%" } (severity "warn" only reports; "fail", the default, decides)' });
  }
  const guardText = spec.failedRequests ?? parent?.guard.threshold.text ?? GUARD_DEFAULT;
  const guardT = guardThreshold(guardText, issues);
  const secrets: string[] = [];
  const hooks = spec.hooks ? resolveHooks(spec.hooks, file, env, issues, secrets) : (parent?.hooks ?? { pass: [], fail: [], inconclusive: [] });
  if (issues.length) throw new ConfigError(shown, issues);
  uniqueIds(gates);
  return {
    name: spec.name ?? path.basename(file, path.extname(file)),
    file,
    description: spec.description ?? parent?.description ?? null,
    confidence: spec.confidence ?? parent?.confidence ?? POLICY_DEFAULTS.confidence,
    minSamples,
    insufficient,
    resamples: spec.bootstrap?.resamples ?? parent?.resamples ?? POLICY_DEFAULTS.resamples,
    seed: spec.bootstrap?.seed ?? parent?.seed ?? POLICY_DEFAULTS.seed,
    gates,
    guard: {
      id: GUARD_ID,
      description: `error_rate ${guardT!.text} (implicit on every policy: streams that did not complete, any way)`,
      metric: METRICS.get('error_rate')!,
      threshold: guardT!,
      step: null,
      scenario: null,
      route: null,
      minSamples,
      severity: 'fail',
      insufficient,
      source: GUARD_SOURCE,
      at: { file: shown, path: 'failedRequests' },
    },
    hooks,
    slo,
    secrets: [...(spec.hooks ? [] : (parent?.secrets ?? [])), ...secrets],
  };
}

function resolveGates(spec: PolicyParsed, file: string, minSamples: number, insufficient: 'inconclusive' | 'fail', issues: ConfigIssue[], slo: string | null | undefined): ResolvedGate[] {
  const gates: ResolvedGate[] = [];
  spec.gates.forEach((g, i) => {
    const at = `gates[${i}]`;
    let metric = lookupMetric(g.metric);
    if (metric?.name === 'goodput' && metric.kind === 'rate') {
      // Goodput counts streams meeting the policy's SLO: without one it would judge nothing.
      if (slo === undefined) return; // the slo itself is reported
      if (slo === null) {
        issues.push({ path: `${at}.metric`, message: 'goodput needs the policy\'s per-request SLOs: add e.g. slo: "ttft <= 500ms and tpot <= 50ms" at the top of the policy' });
        return;
      }
      metric = goodputMetric(metric, slo);
    }
    if (!metric) {
      const near = closestMetric(g.metric);
      issues.push({
        path: `${at}.metric`,
        message: `unknown metric "${g.metric}"${near ? ` (did you mean "${near}"?)` : ''}; server.<series>[.${SERVER_STATS.filter((x) => x !== 'value').join('|')}] reads a series of the config's metrics section, and the wire metrics are: ${METRIC_NAMES.join(', ')}`,
      });
      return;
    }
    let threshold: Threshold;
    try {
      threshold = thresholdFor(g.threshold, metric);
    } catch (err) {
      if (!(err instanceof ThresholdError)) throw err;
      issues.push({ path: `${at}.threshold`, message: err.message });
      return;
    }
    const backwards = backwardsThreshold(metric, threshold, g.threshold);
    if (backwards) {
      issues.push({ path: `${at}.threshold`, message: backwards });
      return;
    }
    const scope = g.scenario ? ` (scenario ${g.scenario}${g.step ? `, step ${g.step}` : ''})` : g.route ? ` (route ${g.route})` : '';
    gates.push({
      id: g.name ?? `${g.metric}${g.scenario ? `@${g.scenario}${g.step ? `/${g.step}` : ''}` : g.route ? `@route:${g.route}` : ''}`,
      description: `${g.metric} ${g.threshold.trim()}${scope}`,
      metric,
      threshold,
      scenario: g.scenario ?? null,
      route: g.route ?? null,
      step: g.step ?? null,
      minSamples: g.minSamples ?? minSamples,
      severity: g.severity,
      insufficient: g.insufficient ?? insufficient,
      source: g.source ?? null,
      at: { file, path: at },
    });
  });
  return gates;
}

function uniqueIds(gates: ResolvedGate[]): void {
  const seen = new Map<string, number>();
  for (const g of gates) {
    const n = seen.get(g.id) ?? 0;
    seen.set(g.id, n + 1);
    if (n > 0) g.id = `${g.id}#${n + 1}`;
  }
}

/**
 * A policy whose gates are all `severity: warn` reports and never decides: its verdict is
 * inconclusive (never a pass, so nothing is promoted on it), no hook fires, and the exit code is
 * a policy-less run's.
 */
export function isWarnOnly(policy: Pick<LoadedPolicy, 'gates'>): boolean {
  return policy.gates.length > 0 && policy.gates.every((g) => g.severity === 'warn');
}

/** What a run offers gates to scope to. */
export interface RunScopes {
  scenarios: string[];
  /** Logical route (or a request/flow endpoint's route template) → scenarios on it. */
  routes: Map<string, string[]>;
  /** Flow scenario → its step names (request and stream scenarios have none). */
  steps?: Map<string, string[]>;
  /** Named in errors: the config file or run.json. */
  source: string;
}

/**
 * A gate scoped to a scenario or route the run does not have would judge nothing: a config error
 * (before traffic in `parity run`, before evaluation in `parity gate`), never a silent no-op.
 */
export function checkScopes(policy: LoadedPolicy, scopes: RunScopes): void {
  const byFile = new Map<string, ConfigIssue[]>();
  for (const g of policy.gates) {
    let issue: ConfigIssue | null = null;
    if (g.scenario !== null && !scopes.scenarios.includes(g.scenario)) {
      issue = { path: `${g.at.path}.scenario`, message: `scenario "${g.scenario}" is not in ${scopes.source} (its scenarios: ${scopes.scenarios.join(', ') || 'none'})` };
    }
    if (g.route !== null && !scopes.routes.has(g.route)) {
      issue = { path: `${g.at.path}.route`, message: `no scenario in ${scopes.source} uses route "${g.route}" (its routes: ${[...scopes.routes.keys()].join(', ') || 'none'})` };
    }
    if (g.step !== null && g.scenario !== null && scopes.steps && scopes.scenarios.includes(g.scenario)) {
      const steps = scopes.steps.get(g.scenario) ?? [];
      if (!steps.includes(g.step)) issue = { path: `${g.at.path}.step`, message: `scenario "${g.scenario}" has no step "${g.step}" (its steps: ${steps.join(', ') || 'none: only a flow scenario has steps'})` };
    }
    if (issue) byFile.set(g.at.file, [...(byFile.get(g.at.file) ?? []), issue]);
  }
  const first = [...byFile.entries()][0];
  if (first) throw new ConfigError(first[0], first[1]);
}
