import path from 'node:path';
import { UsageError } from '../errors.ts';
import { checkScopes, loadPolicy } from '../gates/load.ts';
import { applyPolicy, loadStoredRun, runScopes } from '../pipeline/judge.ts';
import { renderAfterVerdict } from '../pipeline/render.ts';
import type { Command } from './command.ts';
import { displayPath } from '../paths.ts';

export const gateCommand: Command = {
  usage: 'gate <run.json> --policy p [--dry-run]',
  summary: 're-judge a stored run against a policy (file or preset), offline; fires its hooks',
  options: { policy: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  help: {
    policy: { description: 'policy file or preset name to judge the stored run with (required)', default: 'none (required)', example: '--policy seed-000-stage-b' },
    'dry-run': { description: 'print the hooks the verdict would fire and record them as dry runs; run none', example: '--dry-run' },
  },
  examples: ['parity gate reports/<run-id>/run.json --policy seed-000-stage-c --dry-run'],
  async execute({ values, positionals }, io) {
    const file = positionals[0];
    const ref = values.policy as string | undefined;
    if (!file || !ref) throw new UsageError('parity gate needs a run.json and a policy: parity gate reports/<run-id>/run.json --policy seed-000-stage-b');
    const { run, pairs } = await loadStoredRun(file, io);
    if (run.segment) {
      throw new UsageError(`${file} is segment ${run.segment.index}/${run.segment.count} of a plan, part of a run: merge the segments and gate the merged run (parity merge <run-dir> --policy p)`);
    }
    const policy = await loadPolicy(ref, io.env);
    checkScopes(policy, runScopes(run, file));
    const code = await applyPolicy({ run, pairs, runJson: path.resolve(file), policy, dryRun: Boolean(values['dry-run']) }, io);
    // The reports beside run.json follow the new verdict.
    const reports = await renderAfterVerdict(path.resolve(file), {}, io);
    if (reports) io.stdout.write(`reports: ${reports.map((f) => displayPath(f)).join(', ')}\n`);
    return code;
  },
};
