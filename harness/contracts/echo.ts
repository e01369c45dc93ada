import type { SideContext } from './normalizers.ts';

/**
 * Echo-aware comparison. Values parity generated per side (`{{unique}}`, a capture the flow sent
 * back) differ between targets by design, so every field echoing one (`lot_code: LOT-{{unique}}`,
 * "lot_code LOT-… already exists", `lot_id`) would differ too. Each side's own values are mapped
 * to one placeholder, `{{name}}`, before its answer is compared, so echoed fields are compared, not
 * learned as noise. A capture is only mapped in the steps after the one it came from: a drift in
 * the captured value itself is still reported where it was answered.
 */
export type Generated = { name: string; value: unknown };

/** Strings shorter than this are only mapped as a whole value, never inside a longer string. */
const MIN_SUBSTRING = 6;

/** A string with each of this side's generated values replaced by `{{name}}`. */
export function mapEchoString(s: string, side: SideContext): string {
  let out = s;
  for (const g of side.generated ?? []) {
    const v = g.value;
    if (typeof v !== 'string' || v === '') continue;
    if (out === v) return `{{${g.name}}}`;
    if (v.length >= MIN_SUBSTRING) out = out.split(v).join(`{{${g.name}}}`);
  }
  return out;
}

/** The generated value's name when `v` is exactly one (numbers and strings only). */
export function echoName(v: unknown, side: SideContext): string | undefined {
  if (typeof v !== 'number' && typeof v !== 'string') return undefined;
  return side.generated?.find((g) => g.value === v)?.name;
}
