import { ExitCode, UsageError } from '../errors.ts';
import { validateRun } from '../pipeline/validate.ts';
import type { Command } from './command.ts';

/** `parity validate <config> [--policy p]`: check everything, print the plan, send nothing (exit 0 or 3). */
export const validateCommand: Command = {
  usage: 'validate <config> [--policy p] [--replay]',
  summary: 'check a config (prompts, contracts) and a policy, print the plan; sends nothing',
  options: { policy: { type: 'string' }, replay: { type: 'boolean', default: false } },
  help: {
    policy: { description: 'policy file or preset name to check with the config (gates, scopes, hooks)', default: 'none: the config alone', example: '--policy seed-000-stage-b' },
    replay: { description: "check the config as parity replay --config reads it: targets alone will do (its scenarios, load and flows are not run)", example: '--replay' },
  },
  examples: ['parity validate scenarios/python-to-node.config.yaml --policy seed-000-stage-b', 'NODE_URL=https://node-canary:3000 parity validate my.config.ts --policy my-policy.yaml', 'parity validate targets.yaml --replay --policy seed-000-stage-b'],
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    if (!file) throw new UsageError('parity validate needs a config file: parity validate <config> [--policy p]');
    io.stdout.write(`${await validateRun(file, values.policy as string | undefined, io.env, { replay: Boolean(values.replay) })}\n`);
    return ExitCode.pass;
  },
};
