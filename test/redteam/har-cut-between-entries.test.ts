import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureEntry } from '../../harness/sources/replay/capture.ts';
import { openCapture } from '../../harness/sources/replay/detect.ts';
import { replayFindings } from '../../harness/sources/replay/fidelity.ts';
import { writeHar, type Recorded } from '../helpers/replay.ts';

/**
 * A HAR cut short between two entries (a copy or download stopped after an entry's closing brace)
 * read as a whole capture: only a cut inside an entry was reported. The replay sent the entries
 * before the cut and came out a complete run, judged on a fraction of the capture. The document
 * never closed, which is what says it was cut.
 */
const T = Date.parse('2026-11-29T14:00:00.000Z');
const REQS: Recorded[] = Array.from({ length: 8 }, (_, i) => ({ t: T + i * 10, method: 'GET', path: `/api/items/${i}`, headers: { accept: 'application/json' } }));

describe('a HAR cut between entries', () => {
  it('is reported as truncated, and the replay is incomplete (never a pass)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-har-cut-'));
    const file = path.join(dir, 'cut.har');
    writeHar(file, REQS);
    const text = readFileSync(file, 'utf8');
    // Cut just before the third entry's opening brace: the first two entries are whole.
    const entryStart = text.lastIndexOf('{', text.lastIndexOf('"startedDateTime"', text.indexOf('/api/items/2')));
    writeFileSync(file, text.slice(0, entryStart).replace(/,\s*$/, ',\n'));
    const c = await openCapture(file);
    let read = 0;
    let ok = 0;
    const bad: { at: string; reason: string }[] = [];
    for await (const e of c.entries() as AsyncGenerator<CaptureEntry>) {
      read++;
      if (e.ok) ok++;
      else bad.push(e.bad);
    }
    expect(ok).toBe(2);
    expect(bad).toEqual([{ at: 'after entry 2', reason: expect.stringMatching(/truncated/) }]);
    expect(replayFindings({ read, bad: bad.length }).incomplete).toMatch(/corrupt or truncated/);
  });

  it('a whole HAR has no such entry', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parity-har-whole-'));
    const file = path.join(dir, 'whole.har');
    writeHar(file, REQS);
    const c = await openCapture(file);
    const all: CaptureEntry[] = [];
    for await (const e of c.entries() as AsyncGenerator<CaptureEntry>) all.push(e);
    expect(all.filter((e) => !e.ok)).toEqual([]);
    expect(all).toHaveLength(8);
  });
});
