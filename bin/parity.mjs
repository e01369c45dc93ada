#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript harness (and TypeScript configs) load without a build step.
import { register } from 'tsx/esm/api';

// Ctrl-C or SIGTERM before a command installs its own handlers (while the harness or a config
// module loads, during shadow's or raw's preflight) is an interruption: exit 2, as the README's
// exit codes say, not Node's default (killed by the signal, 130/143). The first SIGINT/SIGTERM
// listener anyone adds (a command taking over: finish run.json, the window, the hooks) retires
// this one for good. Exits through the real process.exit: a config module's load replaces it.
const exitNow = process.exit.bind(process);
let retired = false;
const interruptedEarly = (signal) => {
  if (retired) return;
  try {
    process.stderr.write(`\nparity: ${signal}: stopped at once, before the command started measuring; nothing was measured (exit 2)\n`);
  } finally {
    exitNow(2);
  }
};
const standAside = (event) => {
  if (event !== 'SIGINT' && event !== 'SIGTERM') return;
  retired = true;
  process.off('newListener', standAside);
  // Removed once the new listener is in: removing the last one first (now, before it is added)
  // would make Node stop watching that signal, and the command's handler would never hear it.
  process.nextTick(() => {
    process.off('SIGINT', interruptedEarly);
    process.off('SIGTERM', interruptedEarly);
  });
};
process.on('SIGINT', interruptedEarly);
process.on('SIGTERM', interruptedEarly);
process.on('newListener', standAside);

// An error no command caught (thrown from a timer or callback: parity's, or one a TypeScript config
// started) is a crash: exit 3 with PARITY_HARNESS_ERROR, as the CLI contract says. Node's own exit
// code for it, 1, would read as a verdict ("fail"). Through the real process.exit, as above.
process.on('uncaughtException', (err) => {
  try {
    process.stderr.write(`parity: PARITY_HARNESS_ERROR\n${err?.stack ?? String(err)}\n`);
  } finally {
    exitNow(3);
  }
});

register();
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
