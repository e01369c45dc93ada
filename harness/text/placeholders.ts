/**
 * A template split at its placeholders (matches of `re`, a global regex whose first group is the
 * name): literal parts and names alternating, parts[0] names[0] parts[1] ... parts[n], and each
 * placeholder as written. Templates are compiled from this once, so a request only joins strings.
 */
export function splitPlaceholders(template: string, re: RegExp): { parts: string[]; names: string[]; written: string[] } {
  const parts: string[] = [];
  const names: string[] = [];
  const written: string[] = [];
  let last = 0;
  for (const m of template.matchAll(re)) {
    parts.push(template.slice(last, m.index));
    names.push(m[1]!);
    written.push(m[0]);
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  return { parts, names, written };
}
