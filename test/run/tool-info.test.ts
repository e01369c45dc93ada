import { afterEach, describe, expect, it } from 'vitest';
import { toolInfo } from '../../harness/version.ts';

const saved = process.env.NODE_OPTIONS;
afterEach(() => {
  if (saved === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = saved;
});

describe('run.json tool: what ran the measurement', () => {
  it("records parity's and Node's versions and the V8 heap flags (a young generation of another size moves a run's p99), nothing else", () => {
    process.env.NODE_OPTIONS = '--enable-source-maps --max-semi-space-size=32 --max-old-space-size=4096';
    const t = toolInfo();
    expect(t).toMatchObject({ name: 'parity', node: process.version });
    expect(t.nodeFlags).toEqual(expect.arrayContaining(['--max-semi-space-size=32', '--max-old-space-size=4096']));
    expect(t.nodeFlags).not.toContain('--enable-source-maps');
  });
});
