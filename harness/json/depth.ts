/**
 * How deep a parsed JSON value nests, counted without recursion and stopping at `limit + 1`, so a
 * 100,000-level response costs a bounded walk. The contract diff, assertions and reports recurse
 * over bodies; a body deeper than `MAX_JSON_DEPTH` is handled as text instead (with a note saying
 * why), never by overflowing the stack.
 */
export const MAX_JSON_DEPTH = 1000;

export function jsonDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return false;
}
