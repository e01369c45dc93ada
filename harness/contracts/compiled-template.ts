import { splitPlaceholders } from '../text/placeholders.ts';
import { PLACEHOLDER, renderValue, stringify, WHOLE, type Vars } from './template.ts';

/**
 * Request templates worked out once, so an iteration under load concatenates strings instead of
 * walking the template: a string becomes its literal parts and the variables between them, a JSON
 * body becomes its JSON text with holes where a placeholder goes. The output is exactly
 * `renderString(t, vars, encode)` and `JSON.stringify(renderValue(body, vars))` (tested against
 * them on random templates); whatever the fast form cannot say exactly (a placeholder in an
 * object key, a value that is not plain data) is rendered the general way.
 */
export type CompiledString = (vars: Vars) => string;

/** Literal parts and variable names, alternating: parts[0] name[0] parts[1] ... parts[n]. */
const split = (template: string) => splitPlaceholders(template, PLACEHOLDER);

const identity = (s: string) => s;

export function compileString(template: string, encode: (s: string) => string = identity): CompiledString {
  if (!template.includes('{{')) return () => template;
  const { parts, names } = split(template);
  if (names.length === 0) return () => template;
  const n = names.length;
  return (vars) => {
    let out = parts[0]!;
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      if (vars.has(name)) out += encode(stringify(vars.get(name)));
      out += parts[i + 1]!;
    }
    return out;
  };
}

/** A JSON body's text with holes: literal JSON between values rendered per iteration. */
export function compileJson(value: unknown): CompiledString {
  const pieces: (string | CompiledString)[] = [];
  emit(value, pieces);
  // Adjacent literals are joined once, here.
  const merged: (string | CompiledString)[] = [];
  for (const p of pieces) {
    if (typeof p === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += p;
    else merged.push(p);
  }
  if (merged.length === 1 && typeof merged[0] === 'string') {
    const text = merged[0];
    return () => text;
  }
  const n = merged.length;
  return (vars) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      const p = merged[i]!;
      out += typeof p === 'string' ? p : p(vars);
    }
    return out;
  };
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function emit(value: unknown, out: (string | CompiledString)[]): void {
  if (typeof value === 'string') {
    if (!value.includes('{{')) {
      out.push(JSON.stringify(value));
      return;
    }
    const whole = WHOLE.exec(value);
    if (whole) {
      const name = whole[1]!;
      // A value that is one placeholder keeps the variable's type (renderValue's rule).
      out.push((vars) => JSON.stringify(vars.get(name) ?? null));
      return;
    }
    const render = compileString(value);
    out.push((vars) => JSON.stringify(render(vars)));
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const v: unknown = value[i];
      // JSON.stringify writes null for what it cannot write in an array.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') out.push('null');
      else emit(v, out);
    }
    out.push(']');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!isPlainObject(value) || entries.some(([k]) => k.includes('{{'))) {
      // Rendered keys may collide, and other objects render as renderValue makes them: the general way.
      out.push((vars) => JSON.stringify(renderValue(value, vars)));
      return;
    }
    out.push('{');
    let first = true;
    for (const [k, v] of entries) {
      // JSON.stringify leaves these keys out.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out.push(`${first ? '' : ','}${JSON.stringify(k)}:`);
      first = false;
      emit(v, out);
    }
    out.push('}');
    return;
  }
  if (typeof value === 'bigint') {
    // JSON.stringify throws on a bigint: so does the general way, when the body is rendered.
    out.push((vars) => JSON.stringify(renderValue(value, vars)));
    return;
  }
  out.push(JSON.stringify(value));
}
