import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../json/depth.ts';
import type { ConfigIssue } from '../errors.ts';
import { substituteEnv } from './env.ts';
import { LITERAL_ROUTE, type RouteConfig, type TargetConfig } from './schema.ts';

/** A scenario route written as "METHOD /path" rather than a logical name: used as is on both targets. */
export function literalRoute(route: string): RouteConfig | undefined {
  const m = LITERAL_ROUTE.exec(route);
  return m ? { method: m[1] as RouteConfig['method'], path: m[2]! } : undefined;
}

type Sink = { issues: ConfigIssue[]; secrets: string[]; env: NodeJS.ProcessEnv };

/**
 * `${VAR}` in one string, with the rules headers follow: missing → issue at `at`; substituted values
 * of 4+ chars are secrets (scrubbed from outputs): the whole string, and each value the environment
 * gave on its own (`/v1/${TENANT_KEY}/chat`: a backend answering `unknown key <TENANT_KEY>` echoes
 * the value, not the path).
 */
function sub(template: string, at: string, s: Sink): string {
  if (!template.includes('${')) return template;
  const r = substituteEnv(template, s.env);
  for (const name of r.missing) s.issues.push({ path: at, message: `environment variable ${name} is not set; export it or write \${${name}:-default}` });
  // Values that came from the environment are secrets (as in headers); a fallback written in the config is not.
  if (r.usedEnv && r.value.length >= 4 && substituteEnv(template, {}).value !== r.value) s.secrets.push(r.value);
  for (const v of r.fromEnv) if (v.length >= 4) s.secrets.push(v);
  return r.value;
}

/** A scenario's literal route (`POST /v1/${TENANT}/chat`) with `${VAR}` substituted in its path, by the rules of a route map's paths. */
export function envInLiteralRoute(route: RouteConfig, at: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], secrets: string[]): RouteConfig {
  const p = sub(route.path, at, { issues, secrets, env });
  if (!p.startsWith('/')) issues.push({ path: at, message: `path "${route.path}" gives "${p}", which does not start with "/"; set the variable to a path segment` });
  return { method: route.method, path: p };
}

/** A target's route paths and health paths with `${VAR}` substituted; each must still be a path. */
export function envInPaths(t: TargetConfig, at: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], secrets: string[]): { routes: Record<string, RouteConfig>; health: TargetConfig['health'] } {
  const sink = { issues, secrets, env };
  const routes: Record<string, RouteConfig> = {};
  for (const [name, r] of Object.entries(t.routes)) {
    const p = sub(r.path, `${at}.routes.${name}`, sink);
    if (!p.startsWith('/')) issues.push({ path: `${at}.routes.${name}`, message: `path "${r.path}" gives "${p}", which does not start with "/"; set the variable to a path like /chat/stream` });
    routes[name] = { method: r.method, path: p };
  }
  const health = t.health.map((h, i) => {
    const p = sub(h.path, `${at}.health[${i}]`, sink);
    if (!p.startsWith('/')) issues.push({ path: `${at}.health[${i}]`, message: `health path "${h.path}" gives "${p}", which does not start with "/"; set the variable to a path like /health` });
    return { ...h, path: p };
  });
  return { routes, health };
}

/** Every string of a scenario body with `${VAR}` substituted (`{{...}}` placeholders are left for each request). */
export function scenarioBody(body: unknown, at: string, env: NodeJS.ProcessEnv, issues: ConfigIssue[], secrets: string[]): unknown {
  // Walked recursively below: a template nested past any real body's depth is refused, not a stack overflow.
  if (jsonDepthExceeds(body)) {
    issues.push({ path: at, message: `the body template nests deeper than ${MAX_JSON_DEPTH} levels; flatten it` });
    return body;
  }
  const sink = { issues, secrets, env };
  const walk = (v: unknown, where: string): unknown => {
    if (typeof v === 'string') return sub(v, where, sink);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${where}[${i}]`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${where}.${k}`)]));
    return v;
  };
  return walk(body, at);
}

/** Whether any string in a body template uses {{prompt}}. */
export function usesPrompt(body: unknown): boolean {
  if (jsonDepthExceeds(body)) return false;
  return usesPromptWalk(body);
}

function usesPromptWalk(body: unknown): boolean {
  if (typeof body === 'string') return /\{\{\s*prompt\s*\}\}/.test(body);
  if (Array.isArray(body)) return body.some(usesPromptWalk);
  if (body && typeof body === 'object') return Object.values(body).some(usesPromptWalk);
  return false;
}
