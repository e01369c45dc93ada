import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
export const TOOL_VERSION: string = pkg.version;

/** The V8 heap flags that change how a run is timed (bin/launch.mjs sets one; a user may set others). */
const HEAP_FLAG = /^--(max|min)-(semi|old)-space-size(=|$)/;

/**
 * What ran a measurement: parity's version, Node's, and the heap flags it ran with (a young
 * generation of a different size moves a run's p99), so two runs that disagree can be told apart.
 */
export function toolInfo(): { name: 'parity'; version: string; node: string; nodeFlags: string[] } {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((f) => HEAP_FLAG.test(f));
  return { name: 'parity', version: TOOL_VERSION, node: process.version, nodeFlags: [...new Set(flags)] };
}
