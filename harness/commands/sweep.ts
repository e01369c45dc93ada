import { parseDuration } from '../config/duration.ts';
import { UsageError } from '../errors.ts';
import { executeSweep } from '../pipeline/sweep.ts';
import type { Command } from './command.ts';

function positive(name: string, v: unknown, integer = false): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} takes a ${integer ? 'whole number' : 'number'} above 0, got "${String(v)}"`);
  return n;
}

function duration(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseDuration(String(v));
  } catch {
    throw new UsageError(`--${name} takes a duration such as "30s" or "500ms", got "${String(v)}"`);
  }
}

export const sweepCommand: Command = {
  usage: 'sweep <config> --from r1 --to r2 --steps k [--policy p]',
  summary: 'paired capacity sweep over arrival rates: knees, capacity gate',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    steps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    policy: { type: 'string' },
    out: { type: 'string' },
    'sweep-id': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
  help: {
    from: { description: 'lowest arrival rate to try, iterations per second', example: '--from 10' },
    to: { description: 'highest arrival rate to try, iterations per second', example: '--to 80' },
    steps: { description: 'number of rates from --from to --to (evenly spaced), each a normal run', example: '--steps 8' },
    duration: { description: 'length of each step', default: "the config's load duration", example: '--duration 30s' },
    warmup: { description: 'start of each step left out of its figures', default: "the config's load warm-up", example: '--warmup 5s' },
    policy: { description: "policy whose absolute fail gates decide each target's knee, and whose capacity gates judge the sweep", default: 'none: knees are not judged', example: '--policy seed-004-f3' },
    out: { description: 'folder the sweep writes <sweep-id>/ into (one run folder per step, sweep.json, sweep.html)', default: "the config's outDir (reports)", example: '--out /tmp/sweeps' },
    'sweep-id': { description: 'name of the sweep folder', default: 'sweep- plus a timestamp', example: '--sweep-id nightly-capacity' },
    quiet: { description: 'no progress line per step', example: '--quiet' },
  },
  examples: ['parity sweep scenarios/python-to-node.config.yaml --from 10 --to 80 --steps 8 --policy my-slo-policy.yaml'],
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity sweep needs a config file: parity sweep <config> --from 10 --to 80 --steps 8');
    const from = positive('from', values.from);
    const to = positive('to', values.to);
    const steps = positive('steps', values.steps, true);
    if (to < from) throw new UsageError(`--to (${to}) must not be below --from (${from})`);
    const sweepId = values['sweep-id'] as string | undefined;
    // One folder name, as a run id is: `../x` or `a/b` would write the sweep outside --out.
    if (sweepId !== undefined && (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(sweepId) || sweepId.includes('..'))) {
      throw new UsageError(`--sweep-id ${JSON.stringify(sweepId.slice(0, 80))} is not a folder name: use letters, digits, ".", "_" and "-" (up to 128, starting with a letter or digit), e.g. "nightly-capacity"`);
    }
    return executeSweep(
      file,
      {
        from,
        to,
        steps,
        durationMs: duration('duration', values.duration),
        warmupMs: duration('warmup', values.warmup),
        policy: values.policy as string | undefined,
        outDir: values.out as string | undefined,
        sweepId,
        quiet: values.quiet as boolean | undefined,
      },
      io,
    );
  },
};
