/**
 * A compiled JSON path: `$.choices[0].delta.content`, `choices[0].delta.content`, `citations`,
 * `a["odd key"]`. Only member and index steps: that is all stream profiles and captures need, and
 * compiling once keeps the per-event cost of the stream probe to a few property reads (a general
 * JSONPath engine re-parses or walks filters on every call). A path that does not parse is an error
 * at config time, never at run time.
 */
export type PathStep = string | number;

export interface JsonPath {
  readonly source: string;
  readonly steps: readonly PathStep[];
  get(value: unknown): unknown;
}

export class JsonPathSyntaxError extends Error {
  constructor(source: string, at: number, expected: string) {
    super(`JSON path "${source}" does not parse at character ${at + 1}: expected ${expected}`);
    this.name = 'JsonPathSyntaxError';
  }
}

const IDENT = /[A-Za-z_$][\w$-]*/y;
const INDEX = /(\d+)\]/y;
const QUOTED = /(["'])((?:\\.|(?!\1).)*)\1\]/y;

export function parseJsonPath(source: string): PathStep[] {
  const steps: PathStep[] = [];
  let i = 0;
  if (source.startsWith('$')) i = 1;
  else if (source.length > 0 && source[0] !== '[' ) {
    // bare leading member: `choices[0]` is read as `$.choices[0]`
    i = readIdent(source, i, steps);
  }
  while (i < source.length) {
    const ch = source[i];
    if (ch === '.') {
      i = readIdent(source, i + 1, steps);
    } else if (ch === '[') {
      INDEX.lastIndex = i + 1;
      const idx = INDEX.exec(source);
      if (idx) {
        steps.push(Number(idx[1]));
        i = INDEX.lastIndex;
        continue;
      }
      QUOTED.lastIndex = i + 1;
      const q = QUOTED.exec(source);
      if (q) {
        steps.push(q[2]!.replace(/\\(.)/g, '$1'));
        i = QUOTED.lastIndex;
        continue;
      }
      throw new JsonPathSyntaxError(source, i + 1, 'an array index like [0] or a quoted key like ["name"]');
    } else {
      throw new JsonPathSyntaxError(source, i, '"." or "["');
    }
  }
  return steps;
}

function readIdent(source: string, at: number, steps: PathStep[]): number {
  IDENT.lastIndex = at;
  const m = IDENT.exec(source);
  if (!m) throw new JsonPathSyntaxError(source, at, 'a member name');
  steps.push(m[0]);
  return IDENT.lastIndex;
}

export function compileJsonPath(source: string): JsonPath {
  const steps = parseJsonPath(source);
  const get = (value: unknown): unknown => {
    let cur: unknown = value;
    for (const step of steps) {
      // Own members only: `$.constructor` of an answer without one is nothing, not Object's constructor
      // (an `exists` assertion or a capture would pass on it); a member name selects nothing in an array.
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, step) || (typeof step === 'string' && Array.isArray(cur))) return undefined;
      cur = (cur as Record<string | number, unknown>)[step];
    }
    return cur;
  };
  return { source, steps, get };
}
