/**
 * `{{name}}` and `{{step.name}}` placeholders in contract request templates. A string that is one
 * placeholder and nothing else takes the variable's value with its type (a captured numeric id
 * stays a number in a JSON body); anywhere else the value is stringified.
 */
export const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\}\}/g;
export const WHOLE = /^\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\}\}$/;

export type Vars = ReadonlyMap<string, unknown>;

/** Every placeholder name in a template value (strings, arrays, objects, deeply). */
export function placeholders(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) out.push(m[1]!);
  else if (Array.isArray(value)) for (const v of value) placeholders(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      placeholders(k, out);
      placeholders(v, out);
    }
  }
  return out;
}

export function renderString(template: string, vars: Vars, encode: (s: string) => string = (s) => s): string {
  // Most strings (keys, literal values, fixed paths and headers) hold no placeholder: no regex pass for them.
  if (!template.includes('{{')) return template;
  return template.replace(PLACEHOLDER, (m, name: string) => (vars.has(name) ? encode(stringify(vars.get(name))) : ''));
}

export function renderValue(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const whole = WHOLE.exec(value);
    if (whole) return vars.get(whole[1]!) ?? null;
    return renderString(value, vars);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderString(k, vars), renderValue(v, vars)]));
  return value;
}

/** A variable's value as text in a template. */
export function stringify(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}
