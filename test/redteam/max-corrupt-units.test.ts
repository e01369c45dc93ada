import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

/**
 * `--max-corrupt 1%` is the usage line's example; `--max-corrupt 1` read as a share (100%): a
 * capture cut short or mostly corrupt then replayed as a complete run, judged on what was left.
 */
describe('parity replay --max-corrupt: a bare 1 is not taken for 100%', () => {
  it('refuses "1" (exit 3, before anything is read), says to write 1% or 100%', async () => {
    const r = await runCli(['replay', 'no-such.har', '--config', 'no-such.yaml', '--max-corrupt', '1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--max-corrupt 1 would let every capture entry be corrupt.*write "1%"/);
    for (const ok of ['1%', '0.01', '100%', '0']) {
      const o = await runCli(['replay', 'no-such.har', '--config', 'no-such.yaml', '--max-corrupt', ok]);
      expect(o.stderr).not.toMatch(/--max-corrupt/);
    }
  });
});
