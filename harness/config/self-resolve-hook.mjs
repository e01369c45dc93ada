// Module resolution hook (node:module register, runs in the loader thread): the bare name
// 'parity' imported by an ES-module config resolves to parity's own define.ts, wherever the config
// lives. Plain JavaScript: the hooks thread may not have a TypeScript loader.
let target;

export function initialize(data) {
  target = data.url;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'parity' && target) return { url: target, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
