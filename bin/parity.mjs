#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript harness (and TypeScript configs) load without a build step.
import { register } from 'tsx/esm/api';

// An error no command caught (thrown from a timer or callback: parity's, or one a TypeScript config
// started) is a crash: exit 3 with PARITY_HARNESS_ERROR, as the CLI contract says. Node's own exit
// code for it, 1, would read as a verdict ("fail").
process.on('uncaughtException', (err) => {
  try {
    process.stderr.write(`parity: PARITY_HARNESS_ERROR\n${err?.stack ?? String(err)}\n`);
  } finally {
    process.exit(3);
  }
});

register();
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
