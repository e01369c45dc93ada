import type { CliIO } from '../io.ts';
import type { Scrubber } from './scrubber.ts';

/** The terminal, through the scrubber: whatever a command prints (summaries, errors, hook lines) loses its secrets. */
export function scrubbingIO(io: CliIO, scrubber: Scrubber): CliIO {
  if (scrubber.empty) return io;
  return { ...io, stdout: wrap(io.stdout, scrubber), stderr: wrap(io.stderr, scrubber) };
}

function wrap<S extends NodeJS.WritableStream & { isTTY?: boolean }>(stream: S, scrubber: Scrubber): S {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean).call(target, typeof chunk === 'string' ? scrubber.scrub(chunk) : Buffer.isBuffer(chunk) ? scrubber.scrub(chunk.toString('utf8')) : chunk, ...rest);
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
