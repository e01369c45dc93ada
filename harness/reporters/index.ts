import { writeFileAtomic } from '../output/atomic.ts';
import path from 'node:path';
import type { RunResult } from '../run/result.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

/** A file reporter: a pure render of run.json and the file name it is written to. */
export interface FileReporter {
  file: string;
  describe: string;
  render(run: RunResult): string;
}

/** Name → reporter, as `--format` spells them. */
export const REPORTERS = {
  md: { file: 'summary.md', describe: 'Markdown summary (PR comment, $GITHUB_STEP_SUMMARY)', render: renderMarkdown },
  html: { file: 'report.html', describe: 'self-contained HTML report with plots', render: renderHtml },
  junit: { file: 'junit.xml', describe: 'JUnit XML: a testcase per gate and per drifted contract step', render: renderJunit },
} as const satisfies Record<string, FileReporter>;

export type ReporterName = keyof typeof REPORTERS;
export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[];

/** Renders the named reports into `dir`; returns the files written, in the order asked. */
export async function writeReports(run: RunResult, dir: string, names: readonly ReporterName[] = REPORTER_NAMES): Promise<string[]> {
  const files: string[] = [];
  for (const name of names) {
    const r = REPORTERS[name];
    const file = path.join(dir, r.file);
    await writeFileAtomic(file, r.render(run), 'a report');
    files.push(file);
  }
  return files;
}
