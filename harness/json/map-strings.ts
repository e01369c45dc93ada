import { setOwn } from './own.ts';

/**
 * A copy of a JSON-like value with every string (keys included) passed through `fn`; numbers,
 * booleans, null and the shape (key order too) are kept. Iterative, so any depth is fine. Only
 * plain objects and arrays are walked; anything else is kept as is.
 */
export function mapStrings<T>(value: T, fn: (s: string) => string): T {
  const root: { v: unknown } = { v: undefined };
  const stack: Array<[unknown, Record<string | number, unknown>, string | number]> = [[value, root as Record<string, unknown>, 'v']];
  while (stack.length) {
    const [v, parent, key] = stack.pop()!;
    let out: unknown = v;
    if (typeof v === 'string') out = fn(v);
    else if (Array.isArray(v)) {
      const arr: unknown[] = new Array(v.length);
      v.forEach((x, i) => stack.push([x, arr as unknown as Record<number, unknown>, i]));
      out = arr;
    } else if (v && typeof v === 'object' && (v.constructor === Object || Object.getPrototypeOf(v) === null)) {
      const obj: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const mk = fn(k);
        setOwn(obj, mk, undefined); // keeps the key order (a key "__proto__" too)
        stack.push([x, obj, mk]);
      }
      out = obj;
    }
    parent[key] = out;
  }
  return root.v as T;
}
