#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript harness (and TypeScript configs) load without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli.ts');
process.exitCode = await main(process.argv.slice(2));
