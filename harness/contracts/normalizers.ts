import type { z } from 'zod';
import type { Normalizer } from '../config/schema.ts';

/**
 * Value normalizers applied on both sides before a comparison (body pointers and headers alike):
 * `origin` replaces the answering target's own base URL (and origin) with "{origin}", so a
 * `Link` or `Location` compares by path; `http-date` turns a valid HTTP date into "{http-date}";
 * a regex replacement rewrites every match. A value a normalizer does not recognize is left as it
 * is, so a `Date` header that is not a date still drifts.
 */
export type NormalizerSpec = z.output<typeof Normalizer>;
export type CompiledNormalizer = (value: string, side: SideContext) => string;

/** What a comparison knows about one side: its base URL and the values parity generated for it. */
export interface SideContext {
  baseUrl?: string | undefined;
  /** Values generated per side (`{{unique}}`, captures sent), mapped to `{{name}}` before a diff (see echo.ts). */
  generated?: readonly { name: string; value: unknown }[] | undefined;
}

export const ORIGIN = '{origin}';
export const HTTP_DATE = '{http-date}';

// RFC 9110 §5.6.7: IMF-fixdate, plus the two obsolete forms recipients must accept.
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850 = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

export function isHttpDate(s: string): boolean {
  return (IMF_FIXDATE.test(s) || RFC850.test(s) || ASCTIME.test(s)) && !Number.isNaN(Date.parse(s));
}

export function compileNormalizer(spec: NormalizerSpec): CompiledNormalizer {
  if (spec === 'http-date') return (v) => (isHttpDate(v.trim()) ? HTTP_DATE : v);
  if (spec === 'origin') {
    return (v, side) => {
      if (!side.baseUrl) return v;
      const base = side.baseUrl.replace(/\/+$/, '');
      const origin = new URL(base).origin;
      // The base URL first (it may carry a path prefix), then the bare origin.
      return v.split(base).join(ORIGIN).split(origin).join(ORIGIN);
    };
  }
  const re = new RegExp(spec.pattern, 'g');
  return (v) => v.replace(re, spec.replace);
}

/** Applies normalizers in order to a string; other values pass through unchanged. */
export function normalizeValue(value: unknown, normalizers: readonly CompiledNormalizer[], side: SideContext): unknown {
  if (typeof value !== 'string' || normalizers.length === 0) return value;
  return normalizers.reduce((v, n) => n(v, side), value);
}
