import { isDeepStrictEqual } from 'node:util';
import { ParityError } from '../errors.ts';
import { replaySegmentMismatch } from '../sources/replay/segments.ts';
import type { RunResult } from './result.ts';

/** A segment run as `parity merge` was given it: its folder and run.json. */
export interface SegmentInput {
  dir: string;
  run: RunResult;
}

/**
 * Checks that runs are segments of one plan: each is a segment run, and all share the run id, the
 * number of segments, the parity version, the config echo, the targets and the prompt sets. A
 * segment of another config or another cut is refused (exit 3), naming it and what differs: merged,
 * it would join samples of two different tests into one verdict.
 */
export function checkSegmentsAlike(inputs: readonly SegmentInput[]): void {
  if (inputs.length === 0) throw mismatch('parity merge needs the run folders of the segments: parity merge reports/<run-id>/segments/*');
  for (const { dir, run } of inputs) {
    if (!run.segment) throw mismatch(`${dir}: not a segment run (run.json has no "segment"); merge the folders that \`parity run --segment K/N\` wrote`);
  }
  const [ref, ...rest] = inputs as [SegmentInput, ...SegmentInput[]];
  const name = (i: SegmentInput) => `segment ${i.run.segment!.index}/${i.run.segment!.count} (${i.dir})`;
  for (const other of rest) {
    const a = ref.run;
    const b = other.run;
    const differs = (what: string, x: unknown, y: unknown, fix: string) =>
      mismatch(`${name(other)} is not a segment of the same plan as ${name(ref)}: ${what} ${show(y)} there, ${show(x)} here. ${fix}`);
    if (b.segment!.count !== a.segment!.count) throw differs('the number of segments is', a.segment!.count, b.segment!.count, 'Run every segment with the same --segment K/N or --segments N.');
    if (b.runId !== a.runId) throw differs('the run id is', a.runId, b.runId, 'Give every segment the same --start-at (or --run-id).');
    if (b.tool.version !== a.tool.version) throw differs('the parity version is', a.tool.version, b.tool.version, 'Run every segment with the same parity (container image).');
    // Before the config: a replay's --max-in-flight is in its config echo too, and named here as the flag it is.
    const replay = replaySegmentMismatch(a.replay, b.replay, a.endedAt !== null && b.endedAt !== null);
    if (replay) throw mismatch(`${name(other)} is not a segment of the same replay as ${name(ref)}: ${replay}`);
    const path = firstDifference(a.config, b.config);
    if (path !== undefined) throw differs(`the config differs at ${path || '(root)'}:`, at(a.config, path), at(b.config, path), 'Run every segment with the same config file.');
    if (!isDeepStrictEqual(a.targets, b.targets)) throw differs('the targets are', a.targets, b.targets, 'Give every segment the same environment (target URLs).');
    if (b.segment!.prompts !== a.segment!.prompts) throw differs('the prompt sets (sha256) are', a.segment!.prompts, b.segment!.prompts, 'Ship the same prompt files to every segment.');
  }
  // The capture's counts, among segments that ended, when the first given did not (it was compared on its flags only).
  const ended = inputs.filter((i) => i.run.endedAt !== null);
  for (const other of ended.slice(1)) {
    const replay = ref.run.endedAt === null ? replaySegmentMismatch(ended[0]!.run.replay, other.run.replay) : undefined;
    if (replay) throw mismatch(`${name(other)} is not a segment of the same replay as ${name(ended[0]!)}: ${replay}`);
  }
  const seen = new Map<number, SegmentInput>();
  for (const i of inputs) {
    const dup = seen.get(i.run.segment!.index);
    if (dup) throw mismatch(`${name(i)} and ${dup.dir} are both segment ${i.run.segment!.index}: give each segment once`);
    seen.set(i.run.segment!.index, i);
  }
}

function mismatch(message: string): ParityError {
  return new ParityError('PARITY_SEGMENT_MISMATCH', message);
}

/** The dotted path of the first place two JSON values differ, or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const sub = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], sub);
      if (d !== undefined) return d;
    }
  }
  return path;
}

function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const part of path.match(/[^.[\]]+/g) ?? []) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'nothing';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
