import type { CliIO } from '../io.ts';
import { Scrubber } from './scrubber.ts';

/** The terminal, through the scrubber: whatever a command prints (summaries, errors, hook lines) loses its secrets. */
export function scrubbingIO(io: CliIO, scrubber: Scrubber): CliIO {
  if (scrubber.empty) return io;
  return { ...io, stdout: wrap(io.stdout, () => scrubber), stderr: wrap(io.stderr, () => scrubber) };
}

/**
 * The CLI's terminal: scrubbed of every secret the command learns (`io.learnSecrets`, called once its
 * config and policy are loaded), up to the error it ends with, which the CLI prints here too. Each
 * command that loads a config prints through it (preflight notices and failures naming a health path
 * `/health?code=${KEY}`, the shadow's listening line, snapshot and raw summaries): only `parity run`
 * scrubbed its own output, and `parity shadow`, `raw`, `snapshot` and `sweep` printed the key.
 */
export function learningIO(io: CliIO): CliIO {
  let scrubber = Scrubber.none;
  return {
    ...io,
    stdout: wrap(io.stdout, () => scrubber),
    stderr: wrap(io.stderr, () => scrubber),
    learnSecrets: (secrets) => {
      scrubber = scrubber.with(secrets);
      io.learnSecrets?.(secrets);
    },
  };
}

function wrap<S extends NodeJS.WritableStream & { isTTY?: boolean }>(stream: S, current: () => Scrubber): S {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => {
          const scrubber = current();
          return (target.write as (...a: unknown[]) => boolean).call(target, typeof chunk === 'string' ? scrubber.scrub(chunk) : Buffer.isBuffer(chunk) && !scrubber.empty ? scrubber.scrub(chunk.toString('utf8')) : chunk, ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
