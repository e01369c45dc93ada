import type { Difference } from '../run/result.ts';

/**
 * Drift classes, as API-diff tools (oasdiff) weigh changes: `breaking` breaks a client written
 * against the baseline (a field or header it reads is gone, a type or status changed, an enum
 * constant renamed, the media type changed), `additive` only adds (an extra field or header),
 * `value` keeps the shape and changes data. A rule's `classes` overrides the default per pointer.
 */
export type DriftClass = NonNullable<Difference['class']>;
export type DiffKind = Difference['kind'];
export const DRIFT_CLASS_ORDER: readonly DriftClass[] = ['breaking', 'additive', 'value'];

/** Kinds that say two values differ while their presence and type agree: the only ones learned noise may hide. */
export const VALUE_KINDS: ReadonlySet<DiffKind> = new Set(['value', 'header', 'array_length']);

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function defaultClass(kind: DiffKind, baseline: unknown, candidate: unknown, pointer: string): DriftClass {
  switch (kind) {
    case 'missing':
    case 'type':
    case 'status':
    case 'header_missing':
      return 'breaking';
    case 'extra':
    case 'header_extra':
      return 'additive';
    case 'header':
      // A client parses the body by its media type: a changed content-type breaks it.
      return pointer === '/content-type' ? 'breaking' : 'value';
    case 'value':
      return enumRenamed(baseline, candidate) ? 'breaking' : 'value';
    default:
      return 'value';
  }
}

/** `OPEN` → `open`: the same identifier in another letter case is a renamed enum constant. */
function enumRenamed(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' && a !== b && IDENTIFIER.test(a) && IDENTIFIER.test(b) && a.toLowerCase() === b.toLowerCase();
}
