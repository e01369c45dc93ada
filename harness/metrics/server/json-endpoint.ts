import { compileJsonPath } from '../../json/path.ts';
import type { Reading } from './exposition.ts';

/**
 * A JSON metrics endpoint (seed 002's `/api/metrics/observability | jq '.slo_compliance'`): the
 * number at a JSON path of one poll, or why there is none. Pure.
 */
export function readJsonNumber(body: unknown, path: string): Reading | string {
  const v = compileJsonPath(path).get(body);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'boolean' ? Number(v) : NaN;
  if (v === undefined) return `nothing at JSON path "${path}"`;
  if (!Number.isFinite(n)) return `the value at JSON path "${path}" is not a number (${JSON.stringify(v).slice(0, 60)})`;
  return { kind: 'gauge', value: n };
}
