import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { DiffRulesConfig } from '../config/schema.ts';
import { compileJsonPath, type JsonPath } from '../json/path.ts';
import { compilePattern, type PointerPattern, type Segments } from './pointer.ts';

/**
 * Diff rules, compiled once per step from the global, flow and step `rules` (all of them apply):
 * ignored pointers, type- or format-only comparison, unordered arrays matched by key, numeric
 * tolerance. Formats reuse ajv-formats' validators so "uuid" here means what it means in a JSON
 * Schema.
 */
export type FormatName = DiffRulesConfig['formats'][string];

export interface CompiledRules {
  ignored(at: Segments): boolean;
  format(at: Segments): FormatName | undefined;
  unorderedKey(at: Segments): JsonPath | undefined;
  /** Whether two numbers are equal under the tolerance that applies at this pointer. */
  numbersEqual(at: Segments, a: number, b: number): boolean;
}

type Tolerance = { abs: number } | { rel: number };

export function compileRules(sets: readonly (DiffRulesConfig | undefined)[]): CompiledRules {
  const ignore: PointerPattern[] = [];
  const formats: [PointerPattern, FormatName][] = [];
  const unordered: [PointerPattern, JsonPath][] = [];
  const tolerance: [PointerPattern, Tolerance][] = [];
  for (const r of sets) {
    if (!r) continue;
    ignore.push(...r.ignore.map(compilePattern));
    for (const [p, f] of Object.entries(r.formats)) formats.push([compilePattern(p), f]);
    for (const [p, k] of Object.entries(r.unordered)) unordered.push([compilePattern(p), compileJsonPath(k)]);
    for (const [p, t] of Object.entries(r.tolerance)) tolerance.push([compilePattern(p), typeof t === 'number' ? { abs: t } : { rel: parseFloat(t) / 100 }]);
  }
  const find = <T>(list: [PointerPattern, T][], at: Segments): T | undefined => list.find(([p]) => p.matches(at))?.[1];
  return {
    ignored: (at) => ignore.some((p) => p.matches(at)),
    format: (at) => find(formats, at),
    unorderedKey: (at) => find(unordered, at),
    numbersEqual(at, a, b) {
      if (a === b) return true;
      const t = find(tolerance, at);
      if (!t) return false;
      const d = Math.abs(a - b);
      return 'abs' in t ? d <= t.abs : d <= t.rel * Math.max(Math.abs(a), Math.abs(b));
    },
  };
}

type FormatCheck = (v: unknown) => boolean;

const fromAjv = (name: 'uuid' | 'date-time' | 'date' | 'email' | 'uri'): FormatCheck => {
  const def = fullFormats[name] as unknown;
  const test: (s: string) => boolean =
    def instanceof RegExp
      ? (s) => def.test(s)
      : typeof def === 'function'
        ? (def as (s: string) => boolean)
        : (s) => {
            const v = (def as { validate: RegExp | ((s: string) => boolean) }).validate;
            return v instanceof RegExp ? v.test(s) : v(s);
          };
  return (v) => typeof v === 'string' && test(v);
};

const FORMAT_CHECKS: Record<Exclude<FormatName, 'type'>, FormatCheck> = {
  uuid: fromAjv('uuid'),
  'iso-datetime': fromAjv('date-time'),
  date: fromAjv('date'),
  email: fromAjv('email'),
  uri: fromAjv('uri'),
  'non-empty': (v) => (typeof v === 'string' || Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined),
};

export function satisfiesFormat(format: Exclude<FormatName, 'type'>, v: unknown): boolean {
  return FORMAT_CHECKS[format](v);
}
