/* eslint-disable no-control-regex -- control characters and escape sequences are what these tests look for */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { renderSummary } from '../../harness/reporters/terminal.ts';
import { renderVerdict } from '../../harness/reporters/verdict.ts';
import { reportError } from '../../harness/io.ts';
import { ParityError } from '../../harness/errors.ts';
import type { RunResult } from '../../harness/run/result.ts';
import { captureIO } from '../helpers/cli.ts';
import { failingRun } from './fixtures.ts';

/** A run whose names carry what a YAML string can: controls, HTML, ANSI sequences, a lone surrogate. */
function hostileRun(): RunResult {
  const run = failingRun();
  const evil = 'chat\u0007\u0000<script>alert(1)</script>\u001b[31mRED\u001b]0;owned\u0007\u001b[2J\r\ud800';
  run.name = `release ${evil}`;
  run.summaries[0]!.scenario = evil;
  run.summaries[0]!.baseline.scenario = evil;
  run.summaries[0]!.candidate.scenario = evil;
  const g = run.verdict!.gates[0]!;
  g.id = `gate-${evil}`;
  g.description = `desc ${evil}`;
  g.reason = `reason ${evil}`;
  run.verdict!.reasons = [`FAIL ${evil}`];
  run.incompleteReason = `why ${evil}`;
  run.complete = false;
  return run;
}

const XML_BAD = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

describe('reports escape for their format', () => {
  const run = hostileRun();

  it('junit.xml holds only XML 1.0 characters (controls shown as \\uXXXX) and parses', () => {
    const xml = renderJunit(run);
    expect(xml).not.toMatch(XML_BAD);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as { testsuites: { '@_name': string } };
    expect(doc.testsuites['@_name']).toContain('\\u0007');
    expect(xml).not.toContain('<script>');
  });

  it('report.html holds no control characters or live script from names', () => {
    const html = renderHtml(run);
    expect(html).not.toMatch(XML_BAD);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('summary.md has no raw HTML and no control characters from names, reasons or policy text', () => {
    const md = renderMarkdown(run);
    expect(md).not.toMatch(CONTROL);
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script>alert(1)&lt;/script>');
    // Only parity's own HTML (the drift <details>) remains.
    expect(md.match(/<[a-z/][^>]*>/g)?.filter((t) => !/^<\/?(details|summary)>$/.test(t)) ?? []).toEqual([]);
  });

  it('the terminal gets no escape sequences from names (only its own colours)', () => {
    for (const color of [false, true]) {
      const out = renderSummary(run, { color }) + renderVerdict(run.verdict!, { color });
      // Without colour no escape at all; with colour only parity's own SGR colours, none of the name's.
      const foreign = color ? out.replace(/\u001b\[[0-9;]*m/g, '') : out;
      expect(foreign).not.toContain('\u001b');
      expect(out).not.toContain('\u001b[31mRED');
      expect(out).toContain('RED');
      expect(foreign).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
      expect(out).not.toContain('owned');
      expect(out).toContain('\\u0007');
    }
  });

  it('error messages printed on the terminal lose escape sequences too', () => {
    const cap = captureIO();
    reportError(new ParityError('PARITY_USAGE', 'bad \u001b]0;title\u0007name\u001b[2J\r'), cap.io);
    expect(cap.err).toBe('parity: PARITY_USAGE\nbad name\\u000D\n');
  });
});
