import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { DiffRulesConfig } from '../config/schema.ts';
import { compileJsonPath, type JsonPath } from '../json/path.ts';
import type { DiffKind, DriftClass } from './classify.ts';
import { compileNormalizer, type CompiledNormalizer } from './normalizers.ts';
import { compilePattern, type PointerPattern, type Segments } from './pointer.ts';

/**
 * Diff rules, compiled once per step from the global, flow and step `rules` (all of them apply):
 * ignored pointers, type- or format-only comparison, unordered arrays matched by key, numeric
 * tolerance, normalizers, type equivalences, drift classes; the same rules for headers. Formats reuse ajv-formats' validators so "uuid" here means what it means in a JSON
 * Schema.
 */
export type FormatName = DiffRulesConfig['formats'][string];

/** Rules at pointers: body pointers, or header names as one-segment pointers (`/link`). */
export interface PointerRules {
  ignored(at: Segments): boolean;
  format(at: Segments): FormatName | undefined;
  unorderedKey(at: Segments): JsonPath | undefined;
  /** Whether two numbers are equal under the tolerance that applies at this pointer. */
  numbersEqual(at: Segments, a: number, b: number): boolean;
  /** Normalizers for values at this pointer, in the order given. */
  normalizers(at: Segments): readonly CompiledNormalizer[];
  /** Values of different JSON types accepted as equal here. */
  equivalent(at: Segments): 'number-string' | undefined;
  /** The class a rule gives a difference of this kind here (none: the default class). */
  classOf(at: Segments, kind: DiffKind): DriftClass | undefined;
}

export interface CompiledRules extends PointerRules {
  /** Header rules (the `headers:` block), a header name being the one segment. */
  headers: PointerRules;
  /** Headers a rule normalizes, formats or classes: compared even when not in `contracts.headers`. */
  headerNames: readonly string[];
}

type Tolerance = { abs: number } | { rel: number };
type ClassSetting = DriftClass | Partial<Record<DiffKind, DriftClass>>;
type RuleSet = Pick<DiffRulesConfig, 'normalize' | 'equivalent' | 'classes'> & Partial<Pick<DiffRulesConfig, 'ignore' | 'formats' | 'unordered' | 'tolerance'>>;

export function compileRules(sets: readonly (DiffRulesConfig | undefined)[]): CompiledRules {
  const present = sets.filter((r): r is DiffRulesConfig => r !== undefined);
  const headerSets = present.flatMap((r) => (r.headers ? [r.headers] : []));
  const headerNames = new Set<string>();
  for (const h of headerSets) for (const k of [...Object.keys(h.formats), ...Object.keys(h.normalize ?? {}), ...Object.keys(h.classes ?? {})]) headerNames.add(headerPointer(k).slice(1));
  return {
    ...compilePointerRules(present, (p) => p),
    headers: compilePointerRules(headerSets, headerPointer),
    headerNames: [...headerNames],
  };
}

/** "Link" or "/link" → "/link". */
function headerPointer(name: string): string {
  return `/${name.replace(/^\//, '').toLowerCase()}`;
}

function compilePointerRules(sets: readonly RuleSet[], key: (k: string) => string): PointerRules {
  const ignore: PointerPattern[] = [];
  const formats: [PointerPattern, FormatName][] = [];
  const unordered: [PointerPattern, JsonPath][] = [];
  const tolerance: [PointerPattern, Tolerance][] = [];
  const normalize: [PointerPattern, CompiledNormalizer[]][] = [];
  const equivalent: [PointerPattern, 'number-string'][] = [];
  const classes: [PointerPattern, ClassSetting][] = [];
  const pattern = (p: string) => compilePattern(key(p));
  for (const r of sets) {
    ignore.push(...(r.ignore ?? []).map(pattern));
    for (const [p, f] of Object.entries(r.formats ?? {})) formats.push([pattern(p), f]);
    for (const [p, k] of Object.entries(r.unordered ?? {})) unordered.push([pattern(p), compileJsonPath(k)]);
    for (const [p, t] of Object.entries(r.tolerance ?? {})) tolerance.push([pattern(p), typeof t === 'number' ? { abs: t } : { rel: parseFloat(t) / 100 }]);
    for (const [p, n] of Object.entries(r.normalize ?? {})) normalize.push([pattern(p), (Array.isArray(n) ? n : [n]).map(compileNormalizer)]);
    for (const [p, e] of Object.entries(r.equivalent ?? {})) equivalent.push([pattern(p), e]);
    for (const [p, c] of Object.entries(r.classes ?? {})) classes.push([pattern(p), c]);
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
    // Every normalizer whose pointer matches applies (global, then flow, then step).
    normalizers: (at) => (normalize.length ? normalize.filter(([p]) => p.matches(at)).flatMap(([, n]) => n) : []),
    equivalent: (at) => find(equivalent, at),
    classOf(at, kind) {
      // The most specific rule wins: the step's over the flow's over the global ones.
      for (let i = classes.length - 1; i >= 0; i--) {
        const [p, c] = classes[i]!;
        if (!p.matches(at)) continue;
        const cls = typeof c === 'string' ? c : c[kind];
        if (cls) return cls;
      }
      return undefined;
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
