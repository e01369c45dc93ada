import Module, { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DEFINE = fileURLToPath(new URL('../define.ts', import.meta.url));
let installed = false;

/**
 * Makes `import { defineConfig, definePolicy } from 'parity'` work in a config or policy anywhere
 * on disk (no node_modules/parity needed beside it): the bare name 'parity' resolves to this
 * parity's define.ts, for CommonJS-compiled configs (a .ts file outside an ESM package) through
 * Module._resolveFilename and for ES-module configs through a resolve hook. Only the exact name
 * 'parity' is mapped; everything else resolves as usual. Idempotent.
 */
export function resolveParityForConfigs(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'parity' ? DEFINE : original.call(this, request, ...rest);
  };
  register(new URL('./self-resolve-hook.mjs', import.meta.url), { data: { url: pathToFileURL(DEFINE).href } });
}
