#!/usr/bin/env node
// Entry point: starts parity under its Node flags (bin/launch.mjs), then registers tsx so the
// TypeScript harness (and TypeScript configs) load without a build step.
import { fileURLToPath } from 'node:url';
import { needsRelaunch, relaunch, watchLauncher } from './launch.mjs';

if (needsRelaunch()) {
  process.exitCode = await relaunch(fileURLToPath(import.meta.url), process.argv.slice(2));
} else {
  watchLauncher();
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../harness/cli.ts');
  process.exitCode = await main(process.argv.slice(2));
}
