import type { ConfigIssue } from '../errors.ts';
import type { ParsedConfig, TimeoutsConfig } from './schema.ts';

/**
 * Ceilings on what a config may ask of one parity process. Each has a reason a user can act on;
 * the README lists them. Past them a run does not measure the backends: it hangs before the first
 * request (a billion VUs), runs far past its duration (a schedule no event loop can keep), or
 * never times anything out (a zero or a year-long timeout).
 */
export const LIMITS = {
  /** Closed-model VUs (and a VU stage's target). */
  vus: {
    max: 10_000,
    reason: 'each VU holds a stream open to each target, and one machine runs out of ephemeral ports and file descriptors past this; split the load over several parity processes (workers or segments)',
  },
  /** Arrival rates, in paired iterations per second (rate ÷ timeUnit). */
  ratePerSecond: {
    max: 10_000,
    reason: 'one parity process starts about 12,000 paired iterations/s at best (the throughput benchmark), so a higher schedule runs late and past its duration, measuring the harness; split the load over several parity processes',
  },
  maxInFlight: { max: 50_000, reason: 'each paired iteration in flight holds two sockets; one machine runs out of ports and file descriptors past this' },
  connections: { max: 10_000, reason: 'a pool this large exhausts the ephemeral port range; leave it unset for one connection per request in flight' },
  /** Any timeout: above 0, at most a day. */
  timeoutMs: { max: 86_400_000, reason: 'a timeout above a day never fires within a run: it is no limit' },
  /** A load's planned duration (duration, or the stages' sum). */
  durationMs: { max: 7 * 86_400_000, reason: 'a week is the longest run parity plans; run longer soaks as consecutive runs' },
  iterations: { max: 1e9, reason: 'iteration numbers past a billion are beyond any run parity can keep on disk; use a duration' },
  preflightRetries: { max: 1000, reason: 'past this a failing health route would hold the run for hours' },
  contractConcurrency: { max: 1000, reason: 'flows in flight each hold sockets to both targets' },
} as const;

const fmt = (n: number) => n.toLocaleString('en-US');

export function checkLimits(cfg: ParsedConfig, issues: ConfigIssue[]): void {
  const over = (value: number, limit: { max: number; reason: string }, at: string, what: string) => {
    if (value > limit.max) issues.push({ path: at, message: `${what} ${fmt(value)} is above the ceiling of ${fmt(limit.max)}: ${limit.reason}` });
  };
  const timeouts = (t: TimeoutsConfig, at: string) => {
    for (const [k, v] of Object.entries(t)) {
      if (!(v > 0)) issues.push({ path: `${at}.${k}`, message: `timeouts.${k} must be above 0 (0 would fail every request at once); give e.g. "10s"` });
      else over(v, LIMITS.timeoutMs, `${at}.${k}`, `timeouts.${k} (ms)`);
    }
  };
  cfg.targets.forEach((t, i) => t.connections !== undefined && over(t.connections, LIMITS.connections, `targets[${i}].connections`, 'connections'));
  over(cfg.preflight.retries, LIMITS.preflightRetries, 'preflight.retries', 'preflight.retries');
  if (!(cfg.preflight.timeout > 0)) issues.push({ path: 'preflight.timeout', message: 'preflight.timeout must be above 0; give e.g. "5s"' });
  else over(cfg.preflight.timeout, LIMITS.timeoutMs, 'preflight.timeout', 'preflight.timeout (ms)');
  over(cfg.preflight.interval, LIMITS.timeoutMs, 'preflight.interval', 'preflight.interval (ms)');
  if (cfg.contracts) {
    timeouts(cfg.contracts.timeouts, 'contracts.timeouts');
    over(cfg.contracts.concurrency, LIMITS.contractConcurrency, 'contracts.concurrency', 'contracts.concurrency');
  }
  const l = cfg.load;
  if (!l) return;
  timeouts(l.timeouts, 'load.timeouts');
  const stages = 'stages' in l ? l.stages : undefined;
  const duration = stages ? stages.reduce((a, s) => a + s.duration, 0) : 'duration' in l ? l.duration : undefined;
  if (duration !== undefined) over(duration, LIMITS.durationMs, stages ? 'load.stages' : 'load.duration', 'the planned duration (ms)');
  if (l.model === 'closed') {
    if (l.vus !== undefined) over(l.vus, LIMITS.vus, 'load.vus', 'vus');
    if (l.iterations !== undefined) over(l.iterations, LIMITS.iterations, 'load.iterations', 'iterations');
    l.stages?.forEach((s, i) => over(s.target, LIMITS.vus, `load.stages[${i}].target`, 'a stage target of VUs'));
    return;
  }
  over(l.maxInFlight, LIMITS.maxInFlight, 'load.maxInFlight', 'maxInFlight');
  const perSecond = (r: number) => (r * 1000) / l.timeUnit;
  const rate = (r: number, at: string) => over(Math.round(perSecond(r)), LIMITS.ratePerSecond, at, 'a rate of iterations/s');
  if (l.model === 'constant-arrival-rate') rate(l.rate, 'load.rate');
  else {
    rate(l.startRate, 'load.startRate');
    l.stages.forEach((s, i) => rate(s.target, `load.stages[${i}].target`));
  }
}
