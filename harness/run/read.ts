import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PairedSample } from '../metrics/sample.ts';
import { fromZodIssues } from '../config/issues.ts';
import { ParityError } from '../errors.ts';
import { RUN_SCHEMA_VERSION, RunResult } from './result.ts';
import { collectPairs } from './pairs.ts';
import { ensureSamples } from './samples-file.ts';
import { TOOL_VERSION } from '../version.ts';

/**
 * Reads a stored run.json for the reporters, the trend and `parity gate`. Every way it can be unusable (missing,
 * not JSON, written by a newer parity, not a run.json) is a ParityError with a stable code and a
 * message naming the file and the fix, never a stack trace.
 */
export async function readRun(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (err as Error).message;
    throw new ParityError('PARITY_RUN_FILE_INVALID', `${file}: cannot read run.json (${why}). Pass the run.json a run wrote, e.g. reports/<run-id>/run.json.`);
  }
  return parseRun(file, text);
}

/** Parses run.json text; `file` only names it in errors. */
export function parseRun(file: string, text: string): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ParityError(
      'PARITY_RUN_FILE_INVALID',
      `${file}: not valid JSON (${(err as Error).message}). The file is corrupt or was cut short (a run killed while writing it?); restore it or re-run.`,
    );
  }
  const obj = (typeof data === 'object' && data !== null ? data : {}) as { schemaVersion?: unknown; tool?: { version?: unknown } };
  if (typeof obj.schemaVersion === 'number' && obj.schemaVersion > RUN_SCHEMA_VERSION) {
    const by = typeof obj.tool?.version === 'string' ? `parity ${obj.tool.version}` : 'a newer parity';
    throw new ParityError(
      'PARITY_RUN_SCHEMA_UNSUPPORTED',
      `${file}: run.json schema version ${obj.schemaVersion}, written by ${by}; this parity (${TOOL_VERSION}) reads schema version ${RUN_SCHEMA_VERSION}. Upgrade parity to render this run.`,
    );
  }
  const parsed = RunResult.safeParse(data);
  if (!parsed.success) {
    const issues = fromZodIssues(parsed.error.issues);
    const shown = issues.slice(0, 8).map((i) => `  ✖ ${i.message}\n    → at ${i.path || '(root)'}`);
    if (issues.length > shown.length) shown.push(`  … and ${issues.length - shown.length} more`);
    throw new ParityError('PARITY_RUN_FILE_INVALID', `${file}: not a parity run.json (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${shown.join('\n')}`);
  }
  return parsed.data;
}

/**
 * A stored run.json and the samples.ndjson it names, checked against each other (pair count, and
 * outcome counts per scenario and side against the summaries): what `parity gate` needs to re-judge
 * a run (the gates' intervals resample the paired samples). A complete run whose samples differ is
 * refused; an incomplete one comes back with `mismatch` said (it never passes anyway). The samples are read
 * line by line (a long run's file is larger than one string can be) and each pair is kept as
 * `view` makes it (the gates keep a few fields of each).
 */
export async function readRunWithPairs<T>(file: string, view: (p: PairedSample) => T): Promise<{ run: RunResult; pairs: T[]; mismatch?: string }> {
  const run = await readRun(file);
  const bad = (msg: string) => new ParityError('PARITY_RUN_FILE_INVALID', `${file}: ${msg}`);
  const samplesFile = path.join(path.dirname(file), run.samples.file);
  await ensureSamples(samplesFile);
  if (!existsSync(samplesFile)) throw bad(`its samples file ${samplesFile} is missing; gates need the paired samples for their confidence intervals`);
  const tally = new OutcomeTally();
  const pairs = await collectPairs(
    samplesFile,
    (p) => {
      tally.add(p);
      return view(p);
    },
    (line) => bad(`${run.samples.file} line ${line} is not JSON`),
  );
  if (pairs.length !== run.samples.pairs) throw bad(`${run.samples.file} holds ${pairs.length} pairs but run.json says ${run.samples.pairs}; the files do not belong together`);
  const differs = tally.differsFrom(run);
  const mismatch = differs && `${run.samples.file} does not match run.json's summaries (${differs}); the files do not belong together (another run's samples, or one of them edited after the run)`;
  // A complete run is judged on its samples only when they are the ones its summaries were made of.
  // An incomplete one never passes, and a merge that lost a segment's samples summarizes more than it holds.
  if (mismatch && run.complete) throw bad(`${mismatch}. Restore this run's samples.ndjson, or run again`);
  return mismatch ? { run, pairs, mismatch } : { run, pairs };
}

/**
 * Outcome counts per scenario and side, as the samples hold them, checked against run.json's
 * summaries (written from the same samples). The pair count alone let a samples.ndjson of another
 * run with as many pairs (last night's, every failure absent) be judged under this run's name.
 */
class OutcomeTally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(p: PairedSample): void {
    for (const role of ['baseline', 'candidate'] as const) {
      const key = `${p.scenario}\u0000${role}`;
      const m = this.counts.get(key) ?? new Map<string, number>();
      const outcome = p[role]?.outcome ?? '(none)';
      m.set(outcome, (m.get(outcome) ?? 0) + 1);
      this.counts.set(key, m);
    }
  }

  /** The first difference, described, or null. */
  differsFrom(run: RunResult): string | null {
    const seen = new Set<string>();
    for (const s of run.summaries) {
      for (const role of ['baseline', 'candidate'] as const) {
        const key = `${s.scenario}\u0000${role}`;
        seen.add(key);
        const have = this.counts.get(key) ?? new Map<string, number>();
        const want = s[role].outcomes as Record<string, number>;
        for (const outcome of new Set([...have.keys(), ...Object.keys(want)])) {
          const a = have.get(outcome) ?? 0;
          const b = want[outcome] ?? 0;
          if (a !== b) return `scenario "${s.scenario}", ${role}: ${a} ${outcome} in the samples, ${b} in run.json`;
        }
      }
    }
    for (const key of this.counts.keys()) {
      if (!seen.has(key)) return `scenario "${key.split('\u0000')[0]}" is in the samples but not in run.json`;
    }
    return null;
  }
}
