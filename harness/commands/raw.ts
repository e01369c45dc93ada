import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../output/atomic.ts';
import { outputFailed } from '../output/fs.ts';
import { Scrubber } from '../secrets/scrubber.ts';
import path from 'node:path';
import { loadConfig, streamScenarios } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { ExitCode, PreflightError, UsageError } from '../errors.ts';
import { rawPlan } from '../raw/requests.ts';
import { RAW_SCHEMA_VERSION, rawRatios, runRaw, type RawResult } from '../raw/run.ts';
import { renderRaw } from '../reporters/raw.ts';
import { checkRunId, newRunId } from '../run/engine.ts';
import { describePreflightFailures, runPreflight } from '../targets/preflight.ts';
import { openTarget } from '../targets/target.ts';
import { Timeouts } from '../config/schema.ts';
import type { Command } from './command.ts';
import { displayPath } from '../paths.ts';

/**
 * `parity raw <config>`: raw-throughput mode. The config's targets and requests, sent by
 * autocannon as fast as the targets answer; writes <out>/<run-id>/raw.json and prints a table.
 */
export const rawCommand: Command = {
  usage: 'raw <config> [--duration 10s] [--connections n] [--sequential]',
  summary: 'raw throughput of both targets with autocannon (req/s, latency; no stream parsing)',
  options: {
    duration: { type: 'string', default: '10s' },
    connections: { type: 'string', default: '50' },
    sequential: { type: 'boolean', default: false },
    out: { type: 'string' },
    'run-id': { type: 'string' },
  },
  help: {
    duration: { description: 'how long each target is loaded (whole seconds, at least 1s)', example: '--duration 30s' },
    connections: { description: 'connections per target (1 to 10000)', example: '--connections 100' },
    sequential: { description: 'load the targets one after the other instead of at the same time', example: '--sequential' },
    out: { description: 'folder raw writes <run-id>/raw.json into', default: "the config's outDir (reports)", example: '--out /tmp/raw' },
    'run-id': { description: 'name of the run folder', default: 'a timestamp plus random suffix', example: '--run-id raw-baseline' },
  },
  examples: ['parity raw scenarios/python-to-node.config.yaml --duration 30s --connections 100'],
  async execute({ values, positionals }, io) {
    const [file] = positionals;
    if (!file) throw new UsageError('usage: parity raw <config> [--duration 10s] [--connections 50] [--sequential]');
    // Flags first: a bad flag stops before the config is even read, and long before any traffic.
    let durationMs: number;
    try {
      durationMs = parseDuration(values.duration as string);
    } catch (err) {
      throw new UsageError(`--duration: ${(err as Error).message}`);
    }
    if (!(durationMs >= 1000)) throw new UsageError(`--duration must be at least 1s (autocannon counts whole seconds), got "${values.duration as string}"`);
    const durationSec = Math.round(durationMs / 1000);
    const connections = Number(values.connections);
    if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) throw new UsageError(`--connections takes a whole number of connections per target from 1 to 10000, got "${values.connections as string}"`);

    const runId = (values['run-id'] as string | undefined) ?? newRunId();
    checkRunId(runId);

    const loaded = await loadConfig(file, io.env);
    // Everything printed from here on (preflight notices and failures naming a health path, errors) goes through the scrubber.
    io.learnSecrets?.(loaded.secrets);
    if (streamScenarios(loaded).length === 0) throw new UsageError(`${file} has no stream scenarios: raw mode sends the stream scenarios' requests`);
    const timeouts = loaded.config.load?.timeouts ?? Timeouts.parse({});
    const live = [openTarget(loaded.baseline, timeouts), openTarget(loaded.candidate, timeouts)];
    try {
      const checks = await runPreflight(live, loaded.config.preflight, undefined, (notice) => io.stderr.write(`parity: ${notice}\n`));
      if (checks.some((c) => !c.ok)) throw new PreflightError(describePreflightFailures(checks));
    } finally {
      await Promise.all(live.map((t) => t.close()));
    }

    const dir = path.resolve((values.out as string | undefined) ?? loaded.config.outDir, runId);
    // The folder exists before any request: one that cannot be made is found now, not after the measurement.
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw outputFailed(err, 'the run folder', dir, 'give --out (or outDir) a writable folder');
    });
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const startedAt = new Date().toISOString();
    let measured;
    try {
      measured = await runRaw(rawPlan(loaded, runId), {
        connections,
        durationSec,
        timeoutSec: Math.max(1, Math.ceil(timeouts.total / 1000)),
        sequential: Boolean(values.sequential),
        signal: ac.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const result: RawResult = {
      schemaVersion: RAW_SCHEMA_VERSION,
      mode: 'raw',
      runId,
      configFile: loaded.file,
      startedAt,
      concurrent: !values.sequential,
      connections,
      durationSec,
      complete: measured.complete,
      targets: measured.targets,
      ratios: rawRatios(measured.targets),
    };
    const out = path.join(dir, 'raw.json');
    await writeFileAtomic(out, JSON.stringify(new Scrubber(loaded.secrets).scrubDeep(result), null, 2) + '\n', 'raw.json');
    io.stdout.write(`\n${renderRaw(result)}\n\nraw.json: ${displayPath(out)}\n`);
    return result.complete ? ExitCode.pass : ExitCode.inconclusive;
  },
};
