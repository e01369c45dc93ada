import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';

/** `['targets', 1, 'baseUrl']` → `targets[1].baseUrl` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns zod issues into ConfigIssues that say what was expected and how to fix it. For a union
 * (`"POST /x"` or `{method, path}`), reports the branch that got furthest instead of zod's bare
 * "Invalid input".
 */
export function fromZodIssues(issues: readonly ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => rootMismatches(a) - rootMismatches(b))[0]!;
      out.push(...fromZodIssues(best, path));
      continue;
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A record key that failed its own schema (a JSON path key that does not parse): say why.
      out.push(...fromZodIssues(issue.issues, path));
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue) });
  }
  return out;
}

function rootMismatches(branch: readonly ZodIssue[]): number {
  return branch.filter((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')).length * 100 + branch.length;
}

function describe(issue: ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or fix the spelling`;
    case 'invalid_type': {
      const received = (issue as { input?: unknown }).input;
      if (received === undefined) return `required: expected ${issue.expected}`;
      return `expected ${issue.expected}, got ${describeValue(received)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue((issue as { input?: unknown }).input)}`;
    case 'too_small':
      return `${issue.message.replace(/^Too small: /, '')}`;
    default:
      return issue.message;
  }
}

/** A value in a message: NaN and Infinity by name (JSON would say null), long strings cut to their first 80 characters. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'string') return v.length > 80 ? `string ${JSON.stringify(v.slice(0, 80))}… (${v.length} characters)` : `string ${JSON.stringify(v)}`;
  return typeof v;
}
