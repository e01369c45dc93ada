import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import type { LoadConfig, StageConfig } from '../config/schema.ts';
import type { LoadedPolicy } from '../gates/load.ts';
import { isWarnOnly } from '../gates/load.ts';
import { scenarioGuards, scopedGuards } from '../gates/evaluate.ts';
import { constantCount } from '../load/context.ts';
import { integralTo, stagesDuration } from '../load/stages.ts';
import { stripUserinfo } from '../secrets/scrubber.ts';
import { duration } from './format.ts';

/**
 * `parity validate`: what a run of this config (and policy) would do, read from the loaded config
 * alone: targets and routes, scenarios with their share of the iterations, the schedule per stage,
 * contract flows, gates with metric and limit, and the hooks each verdict could fire. Pure: no I/O;
 * values that came from the environment are scrubbed, sensitive header values never shown.
 */
export function renderPlan(loaded: LoadedConfig, policy: LoadedPolicy | undefined, opts: { cwd?: string; replay?: { maxInFlight: number } } = {}): string {
  const c = loaded.config;
  const lines: string[] = [`plan: ${c.name}`, `config: ${path.resolve(opts.cwd ?? process.cwd(), loaded.file)}`, ''];
  lines.push('targets:');
  c.targets.forEach((t, i) => {
    const resolved = t.role === 'baseline' ? loaded.baseline : loaded.candidate;
    const url = stripUserinfo(resolved.baseUrl);
    lines.push(`  ${t.role.padEnd(9)} ${t.name}: ${url}${t.baseUrl !== url ? `   (written ${stripUserinfo(t.baseUrl)})` : ''}`);
    for (const [name, r] of Object.entries(resolved.routes)) lines.push(`    route ${name}: ${r.method} ${r.path}`);
    if (resolved.health.length) lines.push(`    health: ${resolved.health.map((h) => `${h.path} → ${h.status}`).join(', ')}`);
    const headers = Object.keys(t.headers);
    if (headers.length) lines.push(`    headers: ${headers.join(', ')} (values not shown)`);
    const st = c.targets[i]!.stream;
    lines.push(`    stream: ${typeof st === 'string' ? st : st.preset ? `${st.preset} with overrides (${Object.keys(st).filter((k) => k !== 'preset').join(', ')})` : 'custom profile'}`);
  });

  if (opts.replay) {
    lines.push('', "replay: the capture's requests, paired, at its recorded pace (--speed), at most " + `${opts.replay.maxInFlight} in flight (--max-in-flight); the config's own scenarios, load and contract flows are not run`);
    if (policy?.gates.some((g) => g.route !== null)) lines.push("  a route-scoped gate is checked against the capture's endpoints when parity replay reads it");
  } else planScenarios(loaded, lines);

  lines.push('');
  if (!policy) lines.push('policy: none (no verdict; exit 0 when the run completes)');
  else {
    lines.push(`policy: ${policy.name} (${policy.file}), confidence ${round(policy.confidence * 100)}%, minSamples ${policy.minSamples}, too little data → ${policy.insufficient}`);
    if (isWarnOnly(policy)) lines.push('  warn-only: every gate reports, none decides; no hook fires; exit code as without a policy');
    lines.push('gates:');
    for (const g of policy.gates) {
      const scope = g.scenario ? `scenario ${g.scenario}` : g.route ? `route ${g.route}` : 'all scenarios';
      lines.push(`  ${g.severity === 'warn' ? 'warn' : 'fail'} ${g.id}: ${g.metric.name} ${g.threshold.text} (${scope}, minSamples ${g.minSamples})`);
    }
    lines.push(`  fail ${policy.guard.id}: error_rate ${policy.guard.threshold.text} candidate − baseline (implicit on every policy; change the margin with failedRequests)`);
    for (const g of scopedGuards(policy)) {
      const where = g.scenario ? `scenario ${g.scenario}${g.step ? `, step ${g.step}` : ''}` : g.route ? `route ${g.route}` : undefined;
      const over = g.citationPrompts ? `the streams whose prompt expects citations${where ? `, ${where}` : ''}` : where;
      lines.push(`  fail ${g.id}: the same over ${over} (implicit: a scoped gate reads that scope's survivors; minSamples ${g.minSamples})`);
    }
    // A replay judges its capture's requests as one scenario, not the config's scenarios.
    const scopes = opts.replay ? [] : loaded.scenarios.map((s) => ({ scenario: s.name, steps: s.type === 'flow' ? s.flow.steps.map((x) => x.name) : [] }));
    for (const g of scenarioGuards(policy, scopes)) {
      lines.push(
        `  fail ${g.id}: the same over scenario ${g.scenario}${g.step ? `, step ${g.step}` : ''}, on evidence only (implicit per ${g.step ? 'flow step' : 'scenario'}: fails when entirely beyond the margin however few its pairs; passes over minSamples ${g.minSamples}; else not judged, holding nothing back)`,
      );
    }
    lines.push('hooks that could fire:');
    const events = [['pass', 'onPass'], ['fail', 'onFail'], ['inconclusive', 'onInconclusive']] as const;
    let any = false;
    for (const [event, key] of events) {
      for (const h of isWarnOnly(policy) ? [] : policy.hooks[event]) {
        any = true;
        lines.push(`  ${key}: ${h.kind} ${h.kind === 'exec' ? h.argv.join(' ') : h.display} (timeout ${duration(h.timeoutMs)})`);
      }
    }
    if (!any) lines.push('  none');
  }
  lines.push('', 'valid: nothing was sent.');
  return scrub(lines.join('\n'), [...loaded.secrets, ...(policy?.secrets ?? [])]);
}

/** The schedule, per stage where the model has stages. */
export function loadLines(load: LoadConfig): string[] {
  const out: string[] = [];
  const warm = load.warmup > 0 ? `; the first ${duration(load.warmup)} are warmup (sent, not judged)` : '';
  switch (load.model) {
    case 'closed':
      if (load.iterations !== undefined) out.push(`closed: ${load.iterations} paired iterations shared by ${load.vus} VUs${load.rampUp ? `, started over ${duration(load.rampUp)}` : ''}${warm}`);
      else if (load.duration !== undefined) out.push(`closed: ${load.vus} VUs for ${duration(load.duration)}${load.rampUp ? `, started over ${duration(load.rampUp)}` : ''}${warm}`);
      else {
        out.push(`closed, ramping VUs from ${load.vus ?? 0} over ${duration(stagesDuration(load.stages!))}${warm}`);
        load.stages!.forEach((s, i) => out.push(`  stage ${i + 1}: ${duration(s.duration)} → ${s.target} VUs`));
      }
      break;
    case 'constant-arrival-rate':
      out.push(`constant arrival rate: ${load.rate} per ${duration(load.timeUnit)} for ${duration(load.duration)} = ${constantCount(load.rate, load.timeUnit, load.duration)} paired iterations (max ${load.maxInFlight} in flight)${warm}`);
      break;
    case 'ramping-arrival-rate': {
      out.push(`ramping arrival rate from ${load.startRate} per ${duration(load.timeUnit)} over ${duration(stagesDuration(load.stages))} (max ${load.maxInFlight} in flight)${warm}`);
      out.push(...rampingStages(load.startRate, load.stages, load.timeUnit));
      break;
    }
  }
  return out;
}

function rampingStages(start: number, stages: readonly StageConfig[], timeUnit: number): string[] {
  let at = 0;
  let from = start;
  return stages.map((s, i) => {
    const n = (integralTo(start, stages, at + s.duration) - integralTo(start, stages, at)) / timeUnit;
    const line = `  stage ${i + 1}: ${duration(s.duration)}, rate ${from} → ${s.target}, about ${Math.round(n)} iterations`;
    at += s.duration;
    from = s.target;
    return line;
  });
}

const round = (v: number) => Math.round(v * 10) / 10;

/**
 * What noise learning adds under load: each diffed step goes a second time to the baseline (the
 * replica) and to the candidate (its counterweight, answer dropped), so both carry the same extra
 * load, and the latencies gated are those of that load, not the schedule's alone.
 */
function noiseLoad(compare: number): string {
  return `noise learning: each diffed step is sent a second time to both targets (the baseline's replica; the candidate's counterweight, its answer dropped): +${round(100 * compare)}% of this scenario's requests on each target, writes repeated on both; latency is measured under that load`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/** The plan's scenarios with their share of the iterations, the load's schedule and the contract flows. */
function planScenarios(loaded: LoadedConfig, lines: string[]): void {
  const c = loaded.config;
  lines.push('', 'scenarios:');
  if (loaded.scenarios.length === 0) lines.push('  none (contract flows only: no paired load)');
  const weighted = loaded.scenarios.some((s) => s.weight !== undefined);
  const total = loaded.scenarios.reduce((a, s) => a + (s.weight ?? 1), 0);
  for (const s of loaded.scenarios) {
    const share = total ? (100 * (s.weight ?? 1)) / total : 0;
    const mix = `${round(share)}% of iterations (${weighted ? 'by weight' : 'round robin'})`;
    if (s.type === 'stream') {
      const prompts = s.promptsFile === '(none)' ? 'no prompt set (the body needs none)' : `${s.prompts.length} prompt${s.prompts.length === 1 ? '' : 's'} from ${s.promptsFile}`;
      lines.push(`  ${s.name}: stream, route ${s.route}, ${mix}, ${prompts}`);
    } else {
      lines.push(`  ${s.name}: ${s.type}, ${s.routes.join(' → ')}, ${mix}${s.compare > 0 ? `, ${round(100 * s.compare)}% of pairs diffed` : ''}`);
      if (s.noise && s.compare > 0) lines.push(`    ${noiseLoad(s.compare)}`);
    }
  }
  if (c.load) lines.push('', 'load:', ...loadLines(c.load).map((l) => `  ${l}`));

  if (loaded.contracts?.flows.length) {
    lines.push('', 'contract flows:');
    for (const f of loaded.contracts.flows) {
      lines.push(`  ${f.name}: ${f.steps.length} step${f.steps.length === 1 ? '' : 's'} × ${f.repeat} run${f.repeat === 1 ? '' : 's'}${f.noise ? ', noise learning' : ''}`);
      for (const s of f.steps) lines.push(`    ${s.name}: ${s.routes.baseline.method} ${s.routes.baseline.path}${s.routes.candidate.path !== s.routes.baseline.path ? ` | ${s.routes.candidate.method} ${s.routes.candidate.path}` : ''}${s.stream ? ' (stream)' : ''}`);
    }
  }
}
