import type { Difference } from '../run/result.ts';
import { defaultClass } from './classify.ts';
import { echoName, mapEchoString } from './echo.ts';
import { normalizeValue, type SideContext } from './normalizers.ts';
import { toPointer, type Segments } from './pointer.ts';
import { satisfiesFormat, type PointerRules } from './rules.ts';

/**
 * A structural diff of two JSON values under the step's rules, every difference with its JSON
 * pointer and kind. Written here rather than taken from a diff library: the rules must act at each
 * node as the walk reaches it (skip, compare by format, match array elements by key, compare
 * numbers within a tolerance), and the kinds we report (`type` vs `value`, `array_length`) are
 * not what generic diff libraries emit (create/remove/change per index).
 */
export type JsonType = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' | 'undefined';

export function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonType;
}

/** Both sides of a comparison: base URLs (for `origin`) and generated values (echo mapping). */
export interface DiffSides {
  a: SideContext;
  b: SideContext;
}

const NO_SIDES: DiffSides = { a: {}, b: {} };

/**
 * Differences between two JSON values. Each carries its class (breaking, additive, value) and,
 * in `group`, its pointer with array indices as "*" (for grouping in reports).
 */
export function diffJson(a: unknown, b: unknown, rules: PointerRules, at: string[] = [], out: GroupedDifference[] = [], sides: DiffSides = NO_SIDES): GroupedDifference[] {
  walk(a, b, { rules, sides, out }, at, at.slice());
  return out;
}

export type GroupedDifference = Difference & { group?: string };

interface Walk {
  rules: PointerRules;
  sides: DiffSides;
  out: GroupedDifference[];
}

/** A difference with its class (a rule's, else the default) and its grouped pointer. */
export function difference(rules: PointerRules, at: Segments, group: Segments, kind: Difference['kind'], baseline: unknown, candidate: unknown): GroupedDifference {
  const pointer = toPointer(at);
  const cls = rules.classOf(at, kind) ?? defaultClass(kind, baseline, candidate, pointer);
  const d: GroupedDifference = { pointer, kind, baseline, candidate, class: cls };
  const g = toPointer(group);
  if (g !== pointer) d.group = g;
  return d;
}

function walk(a0: unknown, b0: unknown, w: Walk, at: string[], group: string[]): void {
  const { rules, out } = w;
  if (rules.ignored(at)) return;
  // Not a closure per node (`const push = ...`): under tsx, whose esbuild keeps names, each one made costs a defineProperty.
  // Normalizers and equivalences rewrite the compared values; reports show the answers as given.
  const norm = rules.normalizers(at);
  let a = normalizeValue(a0, norm, w.sides.a);
  let b = normalizeValue(b0, norm, w.sides.b);
  if (rules.equivalent(at) === 'number-string') [a, b] = [numericString(a), numericString(b)];
  const ta = jsonType(a);
  const tb = jsonType(b);

  const format = rules.format(at);
  if (format === 'type') {
    if (ta !== tb) out.push(difference(rules, at, group, 'type', a0, b0));
    return;
  }
  if (format) {
    const fa = satisfiesFormat(format, a);
    const fb = satisfiesFormat(format, b);
    if (fa && fb) return;
    if (fa !== fb || !deepEqual(a, b)) out.push(difference(rules, at, group, ta !== tb ? 'type' : 'value', a0, b0));
    return;
  }
  if (ta !== tb) {
    out.push(difference(rules, at, group, 'type', a0, b0));
    return;
  }
  switch (ta) {
    case 'object': {
      const oa = a as Record<string, unknown>;
      const ob = b as Record<string, unknown>;
      for (const k of Object.keys(oa)) {
        const child = [...at, k];
        if (!Object.hasOwn(ob, k)) {
          if (!rules.ignored(child)) out.push(difference(rules, child, [...group, k], 'missing', oa[k], undefined));
        } else walk(oa[k], ob[k], w, child, [...group, k]);
      }
      for (const k of Object.keys(ob)) {
        const child = [...at, k];
        if (!Object.hasOwn(oa, k) && !rules.ignored(child)) out.push(difference(rules, child, [...group, k], 'extra', undefined, ob[k]));
      }
      return;
    }
    case 'array':
      walkArray(a as unknown[], b as unknown[], w, at, group);
      return;
    case 'number': {
      if (rules.numbersEqual(at, a as number, b as number)) return;
      const echo = echoName(a, w.sides.a);
      if (echo === undefined || echo !== echoName(b, w.sides.b)) out.push(difference(rules, at, group, 'value', a0, b0));
      return;
    }
    case 'string':
      if (a !== b && mapEchoString(a as string, w.sides.a) !== mapEchoString(b as string, w.sides.b)) out.push(difference(rules, at, group, 'value', a0, b0));
      return;
    default:
      if (a !== b) out.push(difference(rules, at, group, 'value', a0, b0));
  }
}

/** "42" → 42 (a string that is a JSON number); anything else unchanged. */
function numericString(v: unknown): unknown {
  return typeof v === 'string' && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? Number(v) : v;
}

function walkArray(a: unknown[], b: unknown[], w: Walk, at: string[], group: string[]): void {
  const { rules, out } = w;
  const key = rules.unorderedKey(at);
  const each = [...group, '*'];
  if (!key) {
    if (a.length !== b.length) out.push(difference(rules, at, group, 'array_length', a.length, b.length));
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], w, [...at, String(i)], each);
    return;
  }
  // Unordered: match elements by key; an unmatched baseline element is missing, an unmatched candidate one extra.
  const byKey = new Map<string, number[]>();
  b.forEach((el, j) => {
    const k = JSON.stringify(key.get(el) ?? null);
    byKey.set(k, [...(byKey.get(k) ?? []), j]);
  });
  const used = new Set<number>();
  a.forEach((el, i) => {
    const candidates = byKey.get(JSON.stringify(key.get(el) ?? null));
    const j = candidates?.shift();
    const child = [...at, String(i)];
    if (j === undefined) {
      if (!rules.ignored(child)) out.push(difference(rules, child, each, 'missing', el, undefined));
      return;
    }
    used.add(j);
    walk(el, b[j], w, child, each);
  });
  b.forEach((el, j) => {
    const child = [...at, String(j)];
    if (!used.has(j) && !rules.ignored(child)) out.push(difference(rules, child, each, 'extra', undefined, el));
  });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = jsonType(a);
  if (ta !== jsonType(b) || (ta !== 'object' && ta !== 'array')) return false;
  if (ta === 'array') {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((v, i) => deepEqual(v, y[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => k in y && deepEqual(x[k], y[k]));
}

