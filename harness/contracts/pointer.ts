/**
 * JSON pointers (RFC 6901) as segment arrays, and pointer patterns where "*" stands for any one
 * segment (`/items/*\/id`) and "**" for any number of segments (`/**\/created_at`). The diff walks with segment arrays and only joins them into a string
 * when it reports a difference.
 */
export type Segments = readonly string[];

export function toPointer(segments: Segments): string {
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export interface PointerPattern {
  readonly source: string;
  matches(segments: Segments): boolean;
}

export function compilePattern(source: string): PointerPattern {
  const pattern = parsePointer(source);
  if (!pattern.includes('**')) {
    return { source, matches: (segments) => segments.length === pattern.length && pattern.every((p, i) => p === '*' || p === segments[i]) };
  }
  const match = (pi: number, si: number, segments: Segments): boolean => {
    if (pi === pattern.length) return si === segments.length;
    const p = pattern[pi]!;
    if (p === '**') {
      for (let k = si; k <= segments.length; k++) if (match(pi + 1, k, segments)) return true;
      return false;
    }
    return si < segments.length && (p === '*' || p === segments[si]) && match(pi + 1, si + 1, segments);
  };
  return { source, matches: (segments) => match(0, 0, segments) };
}

/** The value at a pointer, or undefined. */
export function valueAt(value: unknown, segments: Segments): unknown {
  let cur = value;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** Pointer order for reports: segment by segment, numbers (array indices) numerically, "*" first. */
export function comparePointers(a: string, b: string): number {
  const sa = parsePointer(a);
  const sb = parsePointer(b);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i]!;
    const y = sb[i]!;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** A pointer for display: the root (the empty pointer) as "(root)". */
export function showPointer(pointer: string): string {
  return pointer === '' ? '(root)' : pointer;
}
