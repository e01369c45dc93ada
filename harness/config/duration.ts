import { z } from 'zod';

/** Durations in config are numbers of milliseconds or strings like `250ms`, `2s`, `1.5m`, `1h`. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = DURATION_PATTERN.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a duration; write a number of milliseconds or a string like "500ms", "2s", "1m"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * A config duration field: a number of milliseconds, or a string with one unit (`expected` is the
 * message for a string that is not one). `bare` judges a bare number where its reading as
 * milliseconds is a likely slip, returning the problem (else the number only has to be ≥ 0).
 */
export function durationField(expected: string, bare?: (ms: number) => string | undefined) {
  const num = bare
    ? z.number().superRefine((n, ctx) => {
        const problem = bare(n);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
    : z.number().nonnegative();
  return z.union([num, z.string().regex(DURATION_PATTERN, expected)]).transform((v) => parseDuration(v));
}
