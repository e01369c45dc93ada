/**
 * JSON pointers (RFC 6901) as segment arrays, and pointer patterns where "*" stands for any one
 * segment (`/items/*\/id`). The diff walks with segment arrays and only joins them into a string
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
  return {
    source,
    matches: (segments) => segments.length === pattern.length && pattern.every((p, i) => p === '*' || p === segments[i]),
  };
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
