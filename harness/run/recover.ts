import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SummaryAccumulator } from '../metrics/summary.ts';
import { TimelineAccumulator } from '../metrics/timeline.ts';
import { writeFileAtomic } from '../output/atomic.ts';
import { readPairs } from './pairs.ts';
import { profileWarnings } from './profile-sanity.ts';
import { parseRun } from './read.ts';
import type { RunResult } from './result.ts';

/** What the engine writes in run.json until the run finishes: a run.json still saying it is the one of a killed process. */
const STILL_RUNNING = 'running';

/**
 * Brings an unfinished run.json up to what its samples hold, before `parity gate` or `parity report`
 * read it. A run killed outright (SIGKILL, a double Ctrl-C, a kill while it wrote its results)
 * leaves the run.json it wrote when it started (0 pairs, "running") and its spool: the spool is
 * the truth (samples-file.ts), so the pairs are recovered from it, the summaries and timeline are
 * recomputed from them with the code the engine uses, and run.json is rewritten (whole, through a
 * temp file) as an incomplete run: `incompleteReason` says it was killed and how many pairs were
 * recovered. An incomplete run never passes a policy (it is inconclusive and fires
 * onInconclusive); a complete run.json is left as it is. Returns the number of pairs recovered, or
 * null when nothing needed recovering.
 */
export async function recoverRun(runJson: string): Promise<number | null> {
  const text = await readFile(runJson, 'utf8').catch(() => null);
  if (text === null) return null;
  const run = parseRun(runJson, text);
  if (run.complete) return null;
  const samplesFile = path.join(path.dirname(runJson), run.samples.file);
  const targets = [...run.targets];
  const scenarios = new Map<string, [SummaryAccumulator, SummaryAccumulator]>();
  const name = (role: 'baseline' | 'candidate') => targets.find((t) => t.role === role)?.name ?? role;
  const accFor = (scenario: string) => {
    let acc = scenarios.get(scenario);
    if (!acc) scenarios.set(scenario, (acc = [new SummaryAccumulator(name('baseline'), 'baseline', scenario), new SummaryAccumulator(name('candidate'), 'candidate', scenario)]));
    return acc;
  };
  for (const s of run.summaries) accFor(s.scenario);
  const timeline = new TimelineAccumulator();
  let pairs = 0;
  // readPairs rebuilds the samples file from a spool left behind first.
  if (existsSync(samplesFile) || (await hasSpool(samplesFile))) {
    for await (const p of readPairs(samplesFile)) {
      const [b, c] = accFor(p.scenario);
      b.add(p.baseline);
      c.add(p.candidate);
      timeline.add(p.baseline);
      timeline.add(p.candidate);
      pairs++;
    }
  }
  if (pairs === run.samples.pairs && run.incompleteReason !== STILL_RUNNING) return null;
  const doc = JSON.parse(text) as Record<string, unknown> & RunResult;
  const kinds = new Map(run.summaries.map((s) => [s.scenario, s.kind]));
  doc.summaries = [...scenarios].map(([scenario, [b, c]]) => ({ scenario, ...(kinds.get(scenario) ? { kind: kinds.get(scenario) } : {}), baseline: b.summary(), candidate: c.summary() }));
  doc.samples = { ...run.samples, pairs };
  const warnings = profileWarnings(doc.summaries);
  if (warnings.length) doc.warnings = warnings;
  doc.timeline = timeline.timeline(targets);
  doc.load = { ...(doc.load as object), iterations: Math.max(run.load.iterations, pairs) } as RunResult['load'];
  doc.complete = false;
  const was = run.incompleteReason === STILL_RUNNING ? 'killed before it finished' : (run.incompleteReason ?? 'incomplete');
  doc.incompleteReason = `${was}; ${pairs} measured pair${pairs === 1 ? '' : 's'} recovered from the samples spool`;
  await writeFileAtomic(runJson, JSON.stringify(doc, null, 2) + '\n');
  return pairs;
}

async function hasSpool(samplesFile: string): Promise<boolean> {
  const base = path.basename(samplesFile);
  const names = await readdir(path.dirname(samplesFile)).catch(() => [] as string[]);
  return names.some((n) => n.startsWith(base + '.') && n.endsWith('.spool'));
}
