import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { streamFileAtomic, writeFileAtomic } from '../output/atomic.ts';
import { outputFailed } from '../output/fs.ts';
import { segmentLabel } from '../load/segment.ts';
import { Histogram } from '../metrics/histogram.ts';
import { SummaryAccumulator } from '../metrics/summary.ts';
import { TimelineAccumulator } from '../metrics/timeline.ts';
import { toolInfo } from '../version.ts';
import { mergeReplays } from '../sources/replay/segments.ts';
import { mergeEndpoints, mergeLoadContracts } from './endpoints.ts';
import { mergeShardStates } from './merge-states.ts';
import { readPairs } from './pairs.ts';
import { profileWarnings } from './profile-sanity.ts';
import { readRun } from './read.ts';
import { RUN_SCHEMA_VERSION, type RunResult } from './result.ts';
import { checkSegmentsAlike, type SegmentInput } from './segment-check.ts';
import type { MergedSegment } from './segment-result.ts';
import { foreignFiles, type ForeignFiles } from './segment-files.ts';
import { readSegmentState, SEGMENT_STATE_FILE } from './segment-run.ts';
import { ensureSamples } from './samples-file.ts';
import type { ShardState } from './shard.ts';

export interface MergeSegmentsInput {
  /** Segment run folders (or their run.json files). */
  dirs: readonly string[];
  /** Where the merged run goes; default `<out>/<run-id>/` above `<out>/<run-id>/segments/<K>-of-<N>/`. */
  outDir?: string | undefined;
  /** Segments whose schedules started further apart than this give a harness warning. */
  maxSkewMs: number;
}

/**
 * N segment runs → one run folder, as if one machine had run the plan: the segments' histogram
 * states merge exactly (as worker threads' do), samples are joined, counts summed, each segment's
 * harness health kept. A missing or incomplete segment makes the merged run incomplete (never a
 * pass); segments that started further apart than `maxSkewMs` add a harness warning (the gates go
 * inconclusive). Segments of another plan are refused before anything is written.
 */
export async function mergeSegments(input: MergeSegmentsInput): Promise<{ result: RunResult; dir: string; runJson: string }> {
  const inputs: SegmentInput[] = [];
  for (const dir of await segmentDirs(input.dirs)) inputs.push({ dir, run: await readRun(path.join(dir, 'run.json')) });
  checkSegmentsAlike(inputs);
  inputs.sort((a, b) => a.run.segment!.index - b.run.segment!.index);
  const ref = inputs[0]!.run;
  const count = ref.segment!.count;
  const dir = path.resolve(input.outDir ?? defaultOut(inputs[0]!.dir, ref.runId));
  if (inputs.some((i) => i.dir === dir)) throw new UsageError(`the merged run would overwrite segment folder ${dir}; pass --out`);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw outputFailed(err, 'the merged run folder', dir, 'give --out a writable folder');
  });

  const states: ShardState[] = [];
  const segments: MergedSegment[] = [];
  /** Finished segments whose state file did not come back (see below). */
  const stateless: number[] = [];
  /** What in a finished segment's folder is not the file it wrote (another segment's, copied in). */
  const foreign: ForeignFiles[] = [];
  for (const { dir: segDir, run } of inputs) {
    await ensureSamples(path.join(segDir, run.samples.file));
    // A segment killed before its end left no state: its summaries are rebuilt from the samples it spooled.
    const own = run.endedAt !== null ? await readSegmentState(segDir) : undefined;
    if (run.endedAt !== null && !own) stateless.push(run.segment!.index);
    // Another segment's file is never merged: its pairs would count twice, this segment's not at all.
    const f = await foreignFiles(segDir, run, own?.sha256);
    foreign.push(f);
    states.push(...(own && !f.state ? own.shards : [await stateFromSamples(segDir, run, !f.samples)]));
    segments.push({
      ...run.segment!,
      dir: segDir,
      complete: run.complete,
      ...(run.incompleteReason !== undefined ? { incompleteReason: run.incompleteReason } : {}),
      iterations: run.load.iterations,
      pairs: run.samples.pairs,
      harness: run.harness ?? null,
    });
  }
  const present = new Set(segments.map((s) => s.index));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !present.has(k));
  const [baseline, candidate] = [ref.targets.find((t) => t.role === 'baseline')!, ref.targets.find((t) => t.role === 'candidate')!];
  const m = mergeShardStates({ baseline: baseline.name, candidate: candidate.name, scenarios: ref.summaries.map((s) => s.scenario) }, states);

  const starts = segments.map((s) => Date.parse(s.scheduleStartedAt));
  const skewMs = starts.length > 1 ? Math.max(...starts) - Math.min(...starts) : 0;
  const warnings = segments.flatMap((s) => (s.harness?.warnings ?? []).map((w) => `segment ${segmentLabel({ index: s.index - 1, count })}: ${w}`));
  if (skewMs > input.maxSkewMs) {
    warnings.push(
      `segments started their schedules ${skewMs} ms apart (limit ${input.maxSkewMs} ms; ${segments.map((s) => `${s.index}/${count} at ${s.scheduleStartedAt}`).join(', ')}): ` +
        'the combined load was not the planned one; start every segment with one --start-at, ahead of the slowest pod start, on NTP-synced clocks',
    );
  }
  const reasons = [
    ...missing.map((k) => `segment ${k}/${count} missing`),
    ...segments.filter((s) => !s.complete).map((s) => `segment ${s.index}/${count} incomplete (${s.incompleteReason ?? 'unknown'})`),
    // Rebuilt from its samples, a finished segment keeps its pairs but not what only its state held
    // (per-endpoint summaries, contract diffs under load, warm-up and lag figures): never a pass.
    ...stateless.map((k) => `segment ${k}/${count}: its ${SEGMENT_STATE_FILE} is missing (not copied back with its run.json?), so what only it held (per-endpoint summaries, contract diffs under load) is lost; copy the whole segment folder`),
    ...foreign.flatMap((f) => [f.unrecorded, f.samples, f.state].filter((r) => r !== undefined)),
  ];
  const ended = segments.map((s, i) => inputs[i]!.run.endedAt);
  const result: RunResult = {
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: toolInfo(),
    runId: ref.runId,
    name: ref.name,
    configFile: ref.configFile,
    startedAt: inputs.map((i) => i.run.startedAt).sort()[0]!,
    endedAt: ended.includes(null) ? null : (ended as string[]).sort().at(-1)!,
    complete: reasons.length === 0,
    config: ref.config,
    targets: ref.targets,
    preflight: inputs.flatMap((i) => i.run.preflight),
    load: {
      model: ref.load.model,
      plannedIterations: ref.segment!.plannedIterations,
      plannedDurationMs: ref.load.plannedDurationMs,
      iterations: m.counts.iterations - m.counts.warmupIterations,
      abandoned: m.counts.abandoned,
      durationMs: Math.max(...inputs.map((i) => i.run.load.durationMs)),
      dropped: m.counts.dropped,
      warmupIterations: m.counts.warmupIterations,
      workers: inputs.reduce((a, i) => a + (i.run.load.workers ?? 1), 0),
    },
    summaries: m.summaries.map((s) => ({ scenario: s.scenario, ...kindIn(ref.summaries, s.scenario), baseline: s.baseline, candidate: s.candidate })),
    samples: { file: 'samples.ndjson', pairs: m.counts.pairs },
    timeline: m.timeline,
    harness: { eventLoopDelayMs: m.health?.eventLoopDelayMs ?? null, dispatchLagMs: m.health?.dispatchLagMs ?? null, warnings },
    segments: { count, missing, skewMs, maxSkewMs: input.maxSkewMs, segments },
  };
  // Streams the profile did not understand, judged on the merged summaries as on any run's (a run with warnings never passes).
  const unread = profileWarnings(result.summaries);
  if (unread.length) result.warnings = unread;
  const contracts = inputs.find((i) => i.run.segment!.index === 1)?.run.contracts;
  // Per-endpoint summaries and contract diffs sampled under load merge as worker threads' do.
  const names = { baseline: baseline.name, candidate: candidate.name };
  if (states.some((st) => st.endpoints)) result.endpoints = mergeEndpoints(states.map((st) => st.endpoints ?? []), names);
  const underLoad = mergeLoadContracts(states.map((st) => st.loadContracts ?? []));
  if (contracts || underLoad.length) result.contracts = [...(contracts?.filter((c) => !c.underLoad) ?? []), ...underLoad];
  if (ref.replay) result.replay = mergeReplays(inputs.map((i) => i.run.replay!), (inputs.find((i) => i.run.endedAt !== null) ?? inputs[0]!).run.replay);
  // The verdict is judged on the joined samples: a segment whose samples file lost pairs (not copied
  // back, cut short) would be in the summaries and invisible to the gates. Such a merge is incomplete.
  // A samples file that is not the one its segment wrote (sha256) is left out: another segment's
  // pairs joined again would be judged twice.
  const held = await join(inputs.map((i, k) => (foreign[k]!.samples ? null : path.join(i.dir, i.run.samples.file))), path.join(dir, 'samples.ndjson'));
  inputs.forEach((i, k) => {
    // A segment killed before its end has no state: its summaries were rebuilt from these very samples.
    const holds = foreign[k]!.samplesPairs ?? held[k];
    if (i.run.endedAt !== null && holds !== i.run.samples.pairs) reasons.push(`segment ${i.run.segment!.index}/${count}: its samples file holds ${holds} pairs, its run.json says ${i.run.samples.pairs}`);
  });
  if (reasons.length) result.complete = false;
  result.samples.pairs = held.reduce((a, n) => a + n, 0);
  if (reasons.length) result.incompleteReason = reasons.join('; ');

  const warmups = inputs.map((i) => path.join(i.dir, 'warmup.ndjson')).filter((f) => existsSync(f));
  if (warmups.length) await join(warmups, path.join(dir, 'warmup.ndjson'));
  const runJson = path.join(dir, 'run.json');
  await writeFileAtomic(runJson, JSON.stringify(result, null, 2) + '\n', 'run.json');
  return { result, dir, runJson };
}

/**
 * The segment folders given: each a segment's folder (or its run.json), or a run folder whose
 * `segments/` holds them (`parity merge reports/<run-id>`, also once merged: a segment that never
 * started has no folder there, and is then missing from the merge, not an error).
 */
async function segmentDirs(given: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of given) {
    const dir = path.resolve(d.endsWith('run.json') ? path.dirname(d) : d);
    const sub = path.join(dir, 'segments');
    if (existsSync(sub)) {
      for (const e of (await readdir(sub, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) out.push(path.join(sub, e.name));
    } else out.push(dir);
  }
  return out;
}

/** `<out>/<run-id>/` when the segment folder is `<out>/<run-id>/segments/<K>-of-<N>/`. */
function defaultOut(segDir: string, runId: string): string {
  const parent = path.dirname(path.dirname(segDir));
  if (path.basename(path.dirname(segDir)) === 'segments' && path.basename(parent) === runId) return parent;
  throw new UsageError(`cannot tell where the merged run goes (${segDir} is not <out>/${runId}/segments/<K>-of-<N>); pass --out`);
}

/** A segment's state rebuilt from its samples (no scheduler lag or event-loop figures: it did not live to write them). */
async function stateFromSamples(dir: string, run: RunResult, readSamples = true): Promise<ShardState> {
  const accs = new Map<string, [SummaryAccumulator, SummaryAccumulator]>();
  const names = Object.fromEntries(run.targets.map((t) => [t.role, t.name])) as Record<'baseline' | 'candidate', string>;
  for (const s of run.summaries) accs.set(s.scenario, [new SummaryAccumulator(names.baseline, 'baseline', s.scenario), new SummaryAccumulator(names.candidate, 'candidate', s.scenario)]);
  // Dropped starts are never in the samples: a finished segment's run.json still counts them per scenario.
  for (const s of run.summaries) for (const acc of accs.get(s.scenario) ?? []) acc.addDropped(s[acc.role]?.dropped ?? 0);
  const timeline = new TimelineAccumulator();
  let pairs = 0;
  const file = path.join(dir, run.samples.file);
  if (readSamples && existsSync(file)) {
    for await (const p of readPairs(file)) {
      pairs++;
      const [b, c] = accs.get(p.scenario)!;
      b.add(p.baseline);
      c.add(p.candidate);
      timeline.add(p.baseline);
      timeline.add(p.candidate);
    }
  }
  return {
    summaries: [...accs.values()].flatMap(([b, c]) => [b.toJSON(), c.toJSON()]),
    iterations: pairs,
    warmupIterations: 0,
    pairs,
    abandoned: 0,
    dropped: run.load.dropped ?? 0,
    schedulerLag: new Histogram().toJSON(),
    timeline: timeline.toJSON(),
    eventLoopDelayMs: null,
  };
}

/** Concatenates NDJSON files into one, written whole (temp + rename, output/atomic.ts); returns the lines each held (0 when missing or left out: null). */
async function join(files: readonly (string | null)[], into: string): Promise<number[]> {
  const lines: number[] = [];
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const f of files) {
      let n = 0;
      if (f !== null && existsSync(f)) {
        for await (const chunk of createReadStream(f) as AsyncIterable<Buffer>) {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
          yield chunk;
        }
      }
      lines.push(n);
    }
  }
  await streamFileAtomic(into, chunks(), `the merged ${path.basename(into)}`);
  return lines;
}

/** A scenario's kind as the segments' run.json gave it (none from a run written before kinds). */
function kindIn(summaries: RunResult['summaries'], scenario: string): Pick<RunResult['summaries'][number], 'kind'> {
  const kind = summaries.find((s) => s.scenario === scenario)?.kind;
  return kind ? { kind } : {};
}
