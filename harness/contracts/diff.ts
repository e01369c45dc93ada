import type { Difference } from '../run/result.ts';
import { toPointer } from './pointer.ts';
import { satisfiesFormat, type CompiledRules } from './rules.ts';

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

export function diffJson(a: unknown, b: unknown, rules: CompiledRules, at: string[] = [], out: Difference[] = []): Difference[] {
  if (rules.ignored(at)) return out;
  const ta = jsonType(a);
  const tb = jsonType(b);
  const push = (kind: Difference['kind']) => out.push({ pointer: toPointer(at), kind, baseline: a, candidate: b });

  const format = rules.format(at);
  if (format === 'type') {
    if (ta !== tb) push('type');
    return out;
  }
  if (format) {
    const fa = satisfiesFormat(format, a);
    const fb = satisfiesFormat(format, b);
    if (fa && fb) return out;
    if (fa !== fb || !deepEqual(a, b)) push(ta !== tb ? 'type' : 'value');
    return out;
  }
  if (ta !== tb) {
    push('type');
    return out;
  }
  switch (ta) {
    case 'object': {
      const oa = a as Record<string, unknown>;
      const ob = b as Record<string, unknown>;
      for (const k of Object.keys(oa)) {
        const child = [...at, k];
        if (!(k in ob)) {
          if (!rules.ignored(child)) out.push({ pointer: toPointer(child), kind: 'missing', baseline: oa[k], candidate: undefined });
        } else diffJson(oa[k], ob[k], rules, child, out);
      }
      for (const k of Object.keys(ob)) {
        const child = [...at, k];
        if (!(k in oa) && !rules.ignored(child)) out.push({ pointer: toPointer(child), kind: 'extra', baseline: undefined, candidate: ob[k] });
      }
      return out;
    }
    case 'array':
      return diffArray(a as unknown[], b as unknown[], rules, at, out);
    case 'number':
      if (!rules.numbersEqual(at, a as number, b as number)) push('value');
      return out;
    default:
      if (a !== b) push('value');
      return out;
  }
}

function diffArray(a: unknown[], b: unknown[], rules: CompiledRules, at: string[], out: Difference[]): Difference[] {
  const key = rules.unorderedKey(at);
  if (!key) {
    if (a.length !== b.length) out.push({ pointer: toPointer(at), kind: 'array_length', baseline: a.length, candidate: b.length });
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffJson(a[i], b[i], rules, [...at, String(i)], out);
    return out;
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
      if (!rules.ignored(child)) out.push({ pointer: toPointer(child), kind: 'missing', baseline: el, candidate: undefined });
      return;
    }
    used.add(j);
    diffJson(el, b[j], rules, child, out);
  });
  b.forEach((el, j) => {
    const child = [...at, String(j)];
    if (!used.has(j) && !rules.ignored(child)) out.push({ pointer: toPointer(child), kind: 'extra', baseline: undefined, candidate: el });
  });
  return out;
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

