import type { RunResult } from '../run/result.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A target's address as a history compares it: a loopback port is ephemeral (a fixture started per night), so it is left out. */
function where(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    return LOOPBACK.has(u.hostname) ? `${u.protocol}//${u.hostname}${u.pathname}` : u.href;
  } catch {
    return baseUrl;
  }
}

/** The load a run was made under: its model, plan and the config's load section (VUs, rate, stages, timeouts). */
function loadShape(run: RunResult): string {
  const config = run.config as { load?: unknown } | null | undefined;
  return JSON.stringify([run.load.model, run.load.plannedIterations, run.load.plannedDurationMs, config?.load ?? null]);
}

/**
 * Why an earlier run is not the latest's history, or null when it is: its streams were not
 * understood (run warnings: a stream profile that read nothing), the harness may have shaped
 * its numbers (harness-health warnings: an overloaded harness inflates times, and a median of
 * inflated nights hides a real regression), another baseline or candidate (name or address), or
 * another load (times under 50 VUs are not a 10-VU night's). Pure.
 */
export function whyNotHistory(latest: RunResult, earlier: RunResult): string | null {
  const measured = earlier.warnings ?? [];
  if (measured.length) return `measurement warning: ${measured[0]}${measured.length > 1 ? ` (and ${measured.length - 1} more)` : ''}: what it measured was not understood`;
  const health = earlier.harness?.warnings ?? [];
  if (health.length) return `harness health: ${health[0]}${health.length > 1 ? ` (and ${health.length - 1} more)` : ''}: the harness, not the backends, may have shaped its numbers`;
  for (const role of ['baseline', 'candidate'] as const) {
    const now = latest.targets.find((t) => t.role === role);
    const then = earlier.targets.find((t) => t.role === role);
    if (now?.name !== then?.name || where(now?.baseUrl ?? '') !== where(then?.baseUrl ?? '')) {
      const show = (t: typeof now) => (t ? `${t.name} at ${t.baseUrl}` : 'none');
      return `another ${role}: ${show(then)}, the latest run's is ${show(now)}`;
    }
  }
  if (loadShape(latest) !== loadShape(earlier)) return 'another load (model, plan or load settings differ from the latest run’s): its times are not comparable';
  return null;
}
