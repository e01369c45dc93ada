import type { ConfigIssue } from '../errors.ts';
import type { ParsedConfig } from './schema.ts';
import { constantCount } from '../load/context.ts';
import { integralTo, stagesDuration } from '../load/stages.ts';

/**
 * Cross-field checks of `load` that say what it would send: a schedule that never starts
 * anything (or nothing after its warm-up), or closed VUs that could never all run. Each would run "complete" with less traffic
 * than the config reads as (or none at all), so it is a config error before any traffic.
 */
export function checkLoadPlan(cfg: ParsedConfig, issues: ConfigIssue[], vusCeiling: number): void {
  const l = cfg.load;
  if (!l) return;
  if (l.model === 'closed') {
    // Every VU that runs takes at least one iteration: with fewer iterations than VUs, some VUs never run at all.
    if (l.iterations !== undefined && l.vus !== undefined && l.iterations < l.vus && l.vus <= vusCeiling) {
      issues.push({ path: 'load.iterations', message: `load.iterations (${fmt(l.iterations)}) is below load.vus (${fmt(l.vus)}): at most ${fmt(l.iterations)} VUs could ever run at once, a lighter load than load.vus; give at least ${fmt(l.vus)} iterations, or vus: ${l.iterations}` });
    }
    // The VU count is the stage value rounded: below 0.5 throughout, no VU ever starts.
    if (l.stages && Math.max(l.vus ?? 0, ...l.stages.map((s) => s.target)) < 0.5) {
      issues.push({ path: 'load.stages', message: 'the stages never ask for a VU (every target is 0 and there is no vus to start from): the run would send nothing; give a stage a target of 1 VU or more, e.g. [{ duration: "30s", target: 10 }]' });
    }
    return;
  }
  if (l.model === 'ramping-arrival-rate' && l.startRate === 0 && l.stages.every((s) => s.target === 0)) {
    issues.push({ path: 'load.stages', message: 'the rate is 0 throughout (startRate and every stage target are 0): the run would send nothing; give a stage a target above 0, e.g. [{ duration: "30s", target: 50 }]' });
    return;
  }
  // Starts are meant at fixed offsets: the ones before `warmup` are never measured. With none after it, nothing is.
  if (l.warmup > 0) {
    const startsBefore = (t: number) =>
      l.model === 'constant-arrival-rate' ? constantCount(l.rate, l.timeUnit, t) : Math.ceil(integralTo(l.startRate, l.stages, t) / l.timeUnit - 1e-9);
    const total = startsBefore(l.model === 'constant-arrival-rate' ? l.duration : stagesDuration(l.stages));
    if (total > 0 && startsBefore(l.warmup) >= total) {
      issues.push({ path: 'load.warmup', message: `every scheduled start (${fmt(total)}) falls in the ${fmt(l.warmup)} ms warm-up: nothing would be measured; give a shorter warmup, or a higher rate or longer load so that starts fall after it` });
    }
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');
