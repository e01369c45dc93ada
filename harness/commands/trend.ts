import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliIO, Command } from './command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { ms, num, pct } from '../reporters/format.ts';
import { groupTitle, renderTrendHtml } from '../reporters/trend-html.ts';
import { collectRuns } from '../trend/collect.ts';
import { displayPath } from '../paths.ts';
import { groupRuns } from '../trend/groups.ts';
import { TREND_DEFAULTS, type TrendOptions } from '../trend/trend.ts';
import { staleHours } from '../trend/gaps.ts';
import { parseDuration } from '../config/duration.ts';

/**
 * "10%" or "0.1" → 0.1. A plain number of 1 or more is refused: "--tolerance 10" meant 10% but read
 * as the fraction 10 (1000%), and no regression was ever flagged again.
 */
function parseRelative(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v.trim());
  if (!m) throw new UsageError(`--tolerance ${v}: expected a percentage like "10%" (or a fraction like 0.1)`);
  if (!m[2] && Number(m[1]) >= 1) throw new UsageError(`--tolerance ${v}: a plain number is a fraction (${v} would be ${Number(m[1]) * 100}%); write "${m[1]}%" for ${m[1]} percent, or a fraction below 1 such as 0.1`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}
/** "1pp" or "1" → 1 */
function parsePp(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(pp)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--rate-tolerance ${v}: expected percentage points like "1pp"`);
  return Number(m[1]);
}

export function trendOptionsFrom(values: Record<string, unknown>): TrendOptions {
  const w = values.window === undefined ? TREND_DEFAULTS.window : Number(values.window);
  if (!Number.isInteger(w) || w < 2) throw new UsageError(`--window ${String(values.window)}: expected a whole number of runs, at least 2`);
  return {
    window: w,
    tolerance: values.tolerance === undefined ? TREND_DEFAULTS.tolerance : parseRelative(values.tolerance as string),
    rateTolerancePp: values['rate-tolerance'] === undefined ? TREND_DEFAULTS.rateTolerancePp : parsePp(values['rate-tolerance'] as string),
  };
}

function maxAgeFrom(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseDuration(String(v));
  } catch {
    throw new UsageError(`--max-age ${String(v)}: expected a duration like "26h" or "90m"`);
  }
}

/** Why no history was left: the names and config files the folder does hold, when a filter left them all out. */
function noRunsWhy(runs: readonly { name: string; configFile: string; summaries: readonly unknown[] }[], values: Record<string, unknown>): string {
  const trendable = runs.filter((r) => r.summaries.length > 0);
  if (trendable.length === 0) return runs.length ? ' (only contract-only runs, which have no stream metrics)' : '';
  const list = (xs: string[]) => [...new Set(xs)].map((x) => JSON.stringify(x)).join(', ');
  const parts: string[] = [];
  if (values.name !== undefined) parts.push(`--name ${JSON.stringify(values.name)} matches none of the config names ${list(trendable.map((r) => r.name))}`);
  if (values.config !== undefined) parts.push(`--config ${JSON.stringify(values.config)} matches none of the config files ${list(trendable.map((r) => r.configFile))}`);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/**
 * `parity trend [reports-dir]`: one row per stored run, plots over time, and a regression flag
 * when the latest complete run is worse than the median of the previous N. Writes trend.json
 * and trend.html; exits 1 when a regression is flagged, so a nightly job can alert on it, and 2
 * when (no regression but) the latest night was not judged: the newest run is incomplete, older
 * than --max-age, or measured under half the streams of its history, or no run was left to trend.
 */
export const trendCommand: Command = {
  usage: 'trend [reports-dir] [--name n] [--config file] [--window N] [--max-age 26h]',
  summary: 'nightly trend of stored runs; flags a regression of the latest',
  options: {
    window: { type: 'string' },
    tolerance: { type: 'string' },
    'rate-tolerance': { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    config: { type: 'string' },
    'max-age': { type: 'string' },
  },
  help: {
    name: { description: 'only runs whose config name is this (each config name and policy is its own history either way)', default: 'all names, one history each', example: '--name "python → node chat stream parity"' },
    config: { description: 'only runs of this config file (path as given to parity run, or its base name)', default: 'all config files', example: '--config nightly.config.ts' },
    window: { description: 'how many previous complete runs the latest is compared against (their median)', default: String(TREND_DEFAULTS.window), example: '--window 14' },
    tolerance: { description: 'relative slack for times before a regression is flagged', default: `${TREND_DEFAULTS.tolerance * 100}%`, example: '--tolerance 15%' },
    'rate-tolerance': { description: 'slack for rates, in percentage points', default: `${TREND_DEFAULTS.rateTolerancePp}pp`, example: '--rate-tolerance 0.5pp' },
    out: { description: 'folder for trend.json and trend.html', default: 'the reports folder', example: '--out /tmp/trend' },
    'max-age': { description: 'the newest run of a history must be at most this old, or the night is NOT JUDGED (exit 2): a nightly job that did not run', default: 'no limit', example: '--max-age 26h' },
  },
  examples: ['parity trend reports --window 7'],
  async execute({ values, positionals }, io: CliIO) {
    const dir = positionals[0] ?? 'reports';
    const opts = trendOptionsFrom(values);
    const { runs, skipped } = await collectRuns(dir);
    const grouped = groupRuns(runs, opts, { name: values.name as string | undefined, config: values.config as string | undefined });
    const maxAge = maxAgeFrom(values['max-age']);
    if (maxAge !== undefined) {
      for (const g of grouped.groups) {
        const hours = staleHours(g.rows, Date.now(), maxAge);
        if (hours !== null) g.stale = { runId: g.rows.at(-1)!.runId, hours };
      }
    }
    const out = path.resolve((values.out as string | undefined) ?? dir);
    await mkdir(out, { recursive: true });
    const json = path.join(out, 'trend.json');
    const html = path.join(out, 'trend.html');
    await writeFile(json, JSON.stringify({ options: opts, groups: grouped.groups, excluded: grouped.excluded, skipped }, null, 2) + '\n');
    await writeFile(html, renderTrendHtml(grouped, opts, skipped));
    for (const s of skipped) io.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
    const dropped = grouped.excluded.length;
    if (dropped) io.stdout.write(`${dropped} run${dropped === 1 ? '' : 's'} left out (contract-only, duplicate run id or filtered; see trend.json "excluded")\n`);
    // Nothing judged is not "no regression": an empty folder or a --name/--config that matches no run
    // (a typo in the nightly job) exited 0 night after night.
    if (grouped.groups.length === 0) io.stdout.write(`NOT JUDGED: no runs to trend in ${displayPath(path.resolve(dir))}${noRunsWhy(runs, values)}\n`);
    for (const trend of grouped.groups) {
      io.stdout.write(`${groupTitle(trend)}: ${trend.rows.length} runs; `);
      const latestWord = trend.newest || trend.stale ? 'latest complete run' : 'latest';
      if (trend.stale) io.stdout.write(`NOT JUDGED: no run for ${trend.stale.hours} h (newest ${trend.stale.runId}, --max-age ${String(values['max-age'])})\n  `);
      for (const gap of trend.gaps) io.stdout.write(`no run for ${gap.hours} h between ${gap.after} and ${gap.before} (runs are usually ${gap.usualHours} h apart)\n  `);
      if (trend.newest) io.stdout.write(`NOT JUDGED: the newest run ${trend.newest.runId} is incomplete (${trend.newest.reason}); the latest complete run is compared below\n  `);
      for (const t of trend.thin) io.stdout.write(`NOT JUDGED: the latest run measured ${t.count} ${t.scenario} streams of ${t.target} (${t.role}), under half the history's median ${t.median}: too little evidence for "no regression"\n  `);
      if (trend.setAside.length) io.stdout.write(`${trend.setAside.length} earlier run${trend.setAside.length === 1 ? '' : 's'} set aside (another target or load, or an unhealthy harness; see trend.json "setAside"); `);
      if (trend.note && trend.setAside.length) io.stdout.write(`NOT JUDGED: no regression check: ${trend.note}\n`);
      else if (trend.note) io.stdout.write(`no regression check: ${trend.note}\n`);
      else if (trend.regressions.length === 0) io.stdout.write(`${latestWord} ${trend.latest}: no regression (${trend.checks.length} metrics checked)\n`);
      else {
        io.stdout.write(`${latestWord} ${trend.latest}: REGRESSION in ${trend.regressions.length} metric${trend.regressions.length === 1 ? '' : 's'}\n`);
        for (const c of trend.regressions) {
          const f = (v: number) => (c.unit === 'ms' ? ms(v) : pct(v));
          io.stdout.write(`  ${c.scenario} ${c.target} (${c.role}) ${c.label}: ${f(c.latest)} vs median ${f(c.median)} of ${c.history} (allowed ${c.unit === 'ms' ? ms(c.allowed) : `${num(c.allowed * 100)} pp`}, ${c.why})\n`);
        }
      }
    }
    io.stdout.write(`${displayPath(html)}\n${displayPath(json)}\n`);
    if (grouped.groups.some((g) => g.regressions.length > 0)) return ExitCode.fail;
    if (grouped.groups.length === 0) return ExitCode.inconclusive;
    // Last night's run did not complete: nothing says it did not regress.
    // A history whose earlier runs were all set aside (another target or load each night: a preview
    // URL that changes nightly) has runs but never a check: not judged, night after night.
    return grouped.groups.some((g) => g.newest || g.stale || g.thin.length || (g.note && g.setAside.length)) ? ExitCode.inconclusive : ExitCode.pass;
  },
};
